/**
 * The scaling table of `npm run bench`: the same link machinery over workloads of different shapes, side by
 * side in one run, each row on fresh emulators (child processes) with the links in this process. Every row
 * reports origin events per second until caught up, CPU per origin event (this process, all threads, plus
 * every emulator of the row) and the peak RSS of this process while its links ran.
 *
 * Counts: BENCH_SCALE_EVENTS (default 100,000, so that the 100,000-stream row has them all) events per row; rows of large events are cut to
 * BENCH_SCALE_MAX_MIB (default 128) MiB of payload so that a full run fits in a few minutes.
 * BENCH_SCALE=0 skips the table.
 */
import { performance } from 'node:perf_hooks';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import type { Logger } from 'pino';
import PQueue from 'p-queue';
import { LinkerService } from '../../src/link/linker-service.js';
import { noopLinkMetrics } from '../../src/link/link-metrics.js';
import { linkOptions } from './bench-link-options.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { cpuMeter } from './process-cpu.js';

export interface ScalingRow {
  name: string;
  events: number;
  copied: number;
  streams: number;
  eventBytes: number;
  links: number;
  seconds: number;
  eventsPerSecond: number;
  cpuMicrosPerEvent: { linkProcess: number; emulators: number; total: number };
  peakRssMiB: number;
  rssBeforeMiB: number;
}

interface Scenario {
  name: string;
  events: number;
  streams: number;
  eventBytes: number;
  /** Origins, one link each, all into one destination (a fan-in); 1 = a single link. */
  links: number;
  /** Fraction of the streams the link copies (the rest is filtered out by the server-side filter). */
  keep: number;
  overrides: Record<string, unknown>;
}

const APPEND_LIMIT = 900_000;

/** Events per append: 10, fewer when the streams outnumber the events or the events are large. */
function runLength(s: Scenario, share: number): number {
  return Math.max(1, Math.min(10, Math.floor(share / s.streams), Math.floor(APPEND_LIMIT / s.eventBytes)));
}

/** Runs of up to 10 events per stream, round-robin, like bench-link's prefill; one origin's share. */
async function prefill(
  client: EventStoreDBClient,
  s: Scenario,
  share: number,
): Promise<{ commit: bigint; prepare: bigint }> {
  const run = runLength(s, share);
  const keepEvery = Math.round(1 / s.keep);
  const data = { pad: 'x'.repeat(Math.max(0, s.eventBytes - 12)) };
  const queue = new PQueue({ concurrency: 16 });
  let last = { commit: 0n, prepare: 0n };
  for (let written = 0, i = 0; written < share; i++) {
    const count = Math.min(run, share - written);
    written += count;
    const stream = i % s.streams;
    const name = stream % keepEvery === 0 ? `keep-${stream}` : `skip-${stream}`;
    await queue.onSizeLessThan(32);
    void queue.add(async () => {
      const events = Array.from({ length: count }, () => jsonEvent({ type: 'ScaleEvent', data }));
      const r = await client.appendToStream(name, events);
      if (r.position && r.position.commit > last.commit) last = r.position;
    });
  }
  await queue.onIdle();
  return last;
}

async function runScenario(s: Scenario, logger: Logger): Promise<ScalingRow> {
  const emulators: EmulatorProcess[] = [];
  const clients: EventStoreDBClient[] = [];
  const links: LinkerService[] = [];
  const client = (e: EmulatorProcess): EventStoreDBClient => {
    const c = EventStoreDBClient.connectionString(e.connectionString);
    clients.push(c);
    return c;
  };
  try {
    const destination = await startEmulatorProcess();
    emulators.push(destination);
    const destinationClient = client(destination);
    const origins: {
      emulator: EmulatorProcess;
      client: EventStoreDBClient;
      last: { commit: bigint; prepare: bigint };
    }[] = [];
    const share = Math.ceil(s.events / s.links);
    for (let i = 0; i < s.links; i++) {
      const e = await startEmulatorProcess();
      emulators.push(e);
      const c = client(e);
      origins.push({ emulator: e, client: c, last: await prefill(c, s, share) });
    }
    const overrides = {
      ...s.overrides,
      ...(s.keep < 1 ? { filter: { includeStreamPrefixes: ['keep-'] } } : {}),
    };
    for (const [i, o] of origins.entries()) {
      const name = `scale-${i}`;
      links.push(
        new LinkerService({
          options: linkOptions(name, { ...overrides, ...(s.links > 1 ? { streamPrefix: `o${i}-` } : {}) }),
          origin: { name: `origin-${i}`, client: o.client, connectionString: o.emulator.connectionString },
          destination: { name: 'destination', client: destinationClient },
          logger: logger.child({ link: name }),
          metrics: noopLinkMetrics,
        }),
      );
    }
    const rssBefore = process.memoryUsage.rss();
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
    const meter = cpuMeter(emulators.map((e) => e.pid));
    const started = performance.now();
    try {
      await Promise.all(links.map((l) => l.start()));
      await Promise.all(links.map((l, i) => l.waitForPosition(origins[i]!.last)));
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - started) / 1000;
    const used = meter.stop();
    const total = share * s.links;
    const emulatorCpu = used.others.reduce((a, b) => a + b, 0);
    return {
      name: s.name,
      events: total,
      copied: links.reduce((n, l) => n + l.status().eventsReplicated, 0),
      // Streams actually written: a row with more streams than events writes one event to each it reaches.
      streams: Math.min(s.streams, Math.ceil(share / runLength(s, share))) * s.links,
      eventBytes: s.eventBytes,
      links: s.links,
      seconds,
      eventsPerSecond: total / seconds,
      cpuMicrosPerEvent: {
        linkProcess: used.own / total,
        emulators: emulatorCpu / total,
        total: (used.own + emulatorCpu) / total,
      },
      peakRssMiB: peak / 2 ** 20,
      rssBeforeMiB: rssBefore / 2 ** 20,
    };
  } finally {
    await Promise.allSettled(links.map((l) => l.stop({ graceMs: 5_000 })));
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await Promise.allSettled(emulators.map((e) => e.stop()));
  }
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got '${raw}'`);
  return value;
}

export function scalingEnabled(): boolean {
  return process.env.BENCH_SCALE !== '0';
}

export function scenarios(): Scenario[] {
  const events = Math.round(positive('BENCH_SCALE_EVENTS', 100_000));
  const maxBytes = positive('BENCH_SCALE_MAX_MIB', 128) * 2 ** 20;
  const capped = (bytes: number): number => Math.max(16, Math.min(events, Math.floor(maxBytes / bytes)));
  const base = { events, streams: 1_000, eventBytes: 200, links: 1, keep: 1, overrides: {} };
  return [
    { ...base, name: 'base: 1,000 streams, 200 B' },
    { ...base, name: '100,000 streams', streams: 100_000 },
    { ...base, name: '16 KiB events', eventBytes: 16 * 1024, events: capped(16 * 1024) },
    { ...base, name: '256 KiB events', eventBytes: 256 * 1024, events: capped(256 * 1024) },
    { ...base, name: '90% filtered out server-side', keep: 0.1 },
    { ...base, name: '16 links in one process (fan-in)', links: 16 },
    { ...base, name: 'ordering: global', overrides: { ordering: 'global' } },
  ];
}

export async function runScaling(logger: Logger, onRow: (row: ScalingRow) => void): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  for (const s of scenarios()) {
    const row = await runScenario(s, logger);
    rows.push(row);
    onRow(row);
  }
  return rows;
}

export function formatScaling(rows: ScalingRow[]): string {
  const base = rows[0];
  const header = [
    'row',
    'events',
    'streams',
    'copied',
    'ev/s',
    'CPU µs/ev',
    '(link / emulators)',
    'x base',
    'CPU µs/KiB',
    'peak RSS MiB',
  ];
  const body = rows.map((r) => [
    r.name,
    String(r.events),
    String(r.streams),
    String(r.copied),
    Math.round(r.eventsPerSecond).toLocaleString('en-US'),
    r.cpuMicrosPerEvent.total.toFixed(1),
    `${r.cpuMicrosPerEvent.linkProcess.toFixed(1)} / ${r.cpuMicrosPerEvent.emulators.toFixed(1)}`,
    base ? (r.cpuMicrosPerEvent.total / base.cpuMicrosPerEvent.total).toFixed(2) : '',
    // Per KiB of payload: what the event-size rows are to be compared on.
    (r.cpuMicrosPerEvent.total / (r.eventBytes / 1024)).toFixed(1),
    `${r.peakRssMiB.toFixed(0)} (${r.rssBeforeMiB.toFixed(0)} before)`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
