/**
 * Replication benchmark: the daemon's link against the read and write ceilings of the same emulator,
 * against a Linker-style copy (one read + one append per event), plus live latency. Emulators run in
 * child processes. `BENCH_EVENTS` scales the event count (default 100_000 over count/100 streams).
 *
 *   npm run build && npm run bench
 *
 * Results: a table on stdout and test-output/bench-link.json.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  jsonEvent,
  NO_STREAM,
  START,
  StreamNotFoundError,
  streamNameFilter,
  type AppendExpectedRevision,
  type EventData,
} from '@eventstore/db-client';
import PQueue from 'p-queue';
import { useClassicAppendOnly } from '../../src/client/classic-append.js';
import { installRawBytes } from '../../src/client/raw-bytes.js';
import { resolveConfig } from '../../src/config/load-config.js';
import type { ResolvedLinkOptions } from '../../src/link/link-options.js';
import { LinkerService } from '../../src/link/linker-service.js';
import { noopLinkMetrics } from '../../src/link/link-metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const STREAMS = Math.max(1, Math.round(EVENTS / 100));
const EVENT_BYTES = 200;
/** Events per prefill append: $all interleaves streams in runs of this length, like a busy real log. */
const PREFILL_RUN = 10;
const WRITE_CONCURRENCY = 16;
const LINKER_SUBSET = Math.min(5_000, EVENTS);
const LIVE_RATE = Number(process.env.BENCH_LIVE_RATE ?? 1_000);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const PROBE = fileURLToPath(new URL('./live-probe.js', import.meta.url));
const PREFIX = `bench-${randomUUID().slice(0, 8)}-`;

const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', format: 'json', destination: 2 });
const emulators: EmulatorProcess[] = [];
const clients: EventStoreDBClient[] = [];

async function emulator(): Promise<{ client: EventStoreDBClient; connectionString: string }> {
  const e = await startEmulatorProcess();
  emulators.push(e);
  const client = EventStoreDBClient.connectionString(e.connectionString);
  clients.push(client);
  return { client, connectionString: e.connectionString };
}

function streamName(i: number): string {
  return `${PREFIX}s${i}`;
}

/** A JSON body of exactly EVENT_BYTES bytes. */
function body(stream: number, seq: number): Record<string, unknown> {
  const base = { stream, seq, pad: '' };
  const size = JSON.stringify(base).length;
  return { ...base, pad: 'x'.repeat(Math.max(0, EVENT_BYTES - size)) };
}

function eventsFor(stream: number, from: number, count: number): EventData[] {
  return Array.from({ length: count }, (_, k) =>
    jsonEvent({ id: randomUUID(), type: 'BenchEvent', data: body(stream, from + k) }),
  );
}

/** The same events, in runs of PREFILL_RUN per stream, round-robin over streams. */
async function prefill(
  client: EventStoreDBClient,
): Promise<{ seconds: number; last: { commit: bigint; prepare: bigint } }> {
  const perStream = Math.ceil(EVENTS / STREAMS);
  const queue = new PQueue({ concurrency: WRITE_CONCURRENCY });
  const started = performance.now();
  let written = 0;
  let last = { commit: 0n, prepare: 0n };
  for (let from = 0; from < perStream; from += PREFILL_RUN) {
    for (let s = 0; s < STREAMS && written < EVENTS; s++) {
      const count = Math.min(PREFILL_RUN, perStream - from, EVENTS - written);
      if (count <= 0) continue;
      written += count;
      const events = eventsFor(s, from, count);
      await queue.onSizeLessThan(WRITE_CONCURRENCY * 2);
      void queue.add(async () => {
        const r = await client.appendToStream(streamName(s), events);
        if (r.position && r.position.commit > last.commit)
          last = { commit: r.position.commit, prepare: r.position.prepare };
      });
    }
  }
  await queue.onIdle();
  return { seconds: (performance.now() - started) / 1000, last };
}

/** (c) Ideal writes: every stream's events in ONE append, bounded concurrency, into a fresh emulator. */
async function writeCeiling(client: EventStoreDBClient): Promise<number> {
  const perStream = Math.ceil(EVENTS / STREAMS);
  const batches = Array.from({ length: STREAMS }, (_, s) =>
    eventsFor(s, 0, Math.max(0, Math.min(perStream, EVENTS - s * perStream))),
  );
  const queue = new PQueue({ concurrency: WRITE_CONCURRENCY });
  const started = performance.now();
  for (const [s, events] of batches.entries()) {
    if (events.length > 0) void queue.add(() => client.appendToStream(streamName(s), events));
  }
  await queue.onIdle();
  const total = batches.reduce((n, b) => n + b.length, 0);
  return total / ((performance.now() - started) / 1000);
}

/** (b) Read ceiling: a catch-up subscription with a no-op handler over the same origin. */
async function readCeiling(client: EventStoreDBClient, last: bigint): Promise<number> {
  const started = performance.now();
  let count = 0;
  const sub = client.subscribeToAll({
    fromPosition: START,
    filter: streamNameFilter({ prefixes: [PREFIX] }),
  });
  for await (const e of sub) {
    count++;
    if (e.event?.position && e.event.position.commit >= last) break;
  }
  const seconds = (performance.now() - started) / 1000;
  await sub.unsubscribe().catch(() => undefined);
  return count / seconds;
}

function linkOptions(name: string, overrides: Record<string, unknown> = {}): ResolvedLinkOptions {
  const config = resolveConfig(
    {
      nodes: [
        { name: 'origin', connectionString: 'esdb://127.0.0.1:1?tls=false' },
        { name: 'destination', connectionString: 'esdb://127.0.0.1:2?tls=false' },
      ],
      links: [{ name, origin: 'origin', destination: 'destination', ...overrides }],
    },
    { env: {} },
  );
  return config.links[0]!;
}

/** (a) The daemon's link: a LinkerService from the pre-filled origin to a fresh destination, until caught up. */
async function daemonRate(
  origin: { client: EventStoreDBClient; connectionString: string },
  destination: EventStoreDBClient,
  last: { commit: bigint; prepare: bigint },
): Promise<{ rate: number; peakRssMb: number; options: ResolvedLinkOptions }> {
  const options = linkOptions('bench');
  const link = new LinkerService({
    options,
    origin: { name: 'origin', client: origin.client, connectionString: origin.connectionString },
    destination: { name: 'destination', client: destination },
    logger: logger.child({ link: 'bench' }),
    metrics: noopLinkMetrics,
  });
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  try {
    await link.start();
    await link.waitForPosition(last);
    const seconds = (performance.now() - started) / 1000;
    const replicated = link.status().eventsReplicated;
    return { rate: replicated / seconds, peakRssMb: peak / 2 ** 20, options };
  } finally {
    clearInterval(sampler);
    await link.stop({ graceMs: 5_000 });
  }
}

/** (d) Linker-style: for each event, read the destination stream's last event, then append that one event. */
async function linkerStyleRate(origin: EventStoreDBClient, destination: EventStoreDBClient): Promise<number> {
  const started = performance.now();
  let copied = 0;
  for await (const resolved of origin.readAll({ fromPosition: START, maxCount: LINKER_SUBSET * 2 })) {
    const e = resolved.event;
    if (!e || !e.streamId.startsWith(PREFIX)) continue;
    let expected: AppendExpectedRevision = NO_STREAM;
    try {
      for await (const lastEvent of destination.readStream(e.streamId, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        if (lastEvent.event) expected = lastEvent.event.revision;
      }
    } catch (err) {
      if (!(err instanceof StreamNotFoundError)) throw err;
    }
    await destination.appendToStream(
      e.streamId,
      jsonEvent({ id: e.id, type: e.type, data: e.data as Record<string, unknown> }),
      { expectedRevision: expected },
    );
    if (++copied >= LINKER_SUBSET) break;
  }
  return copied / ((performance.now() - started) / 1000);
}

/** Live latency: origin append -> destination read, at a steady rate, through a running link (probe in its own process). */
async function liveLatency(
  o: { client: EventStoreDBClient; connectionString: string },
  d: { client: EventStoreDBClient; connectionString: string },
): Promise<LiveResult> {
  const options = linkOptions('bench-live');
  const link = new LinkerService({
    options,
    origin: { name: 'origin', client: o.client, connectionString: o.connectionString },
    destination: { name: 'destination', client: d.client },
    logger: logger.child({ link: 'bench-live' }),
    metrics: noopLinkMetrics,
  });
  await link.start();
  try {
    const probe = spawn(
      process.execPath,
      [PROBE, o.connectionString, d.connectionString, String(LIVE_RATE), String(LIVE_SECONDS), `${PREFIX}live-`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    probe.stdout.setEncoding('utf8');
    probe.stdout.on('data', (chunk: string) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => probe.once('exit', resolve));
    if (code !== 0) throw new Error(`live probe exited with ${code}`);
    return JSON.parse(out) as LiveResult;
  } finally {
    await link.stop({ graceMs: 5_000 });
  }
}

interface LiveResult {
  sent: number;
  samples: number;
  p50: number;
  p99: number;
  max: number;
  originAppendP50: number;
  originAppendP99: number;
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
}

const BENCH_ONLY_DAEMON = process.env.BENCH_ONLY_DAEMON === '1';

async function main(): Promise<void> {
  installRawBytes();
  process.stderr.write(`bench-link: ${EVENTS} events over ${STREAMS} streams, ${EVENT_BYTES}-byte JSON\n`);
  // All emulators start up front: a rebuild of dist/ during a long run must not break a later spawn.
  const origin = await emulator();
  const [dest, writeTarget, linkerTarget, liveOrigin, liveDestination] = await Promise.all([
    emulator(),
    emulator(),
    emulator(),
    emulator(),
    emulator(),
  ]);
  process.stderr.write('prefilling the origin...\n');
  const filled = await prefill(origin.client);
  process.stderr.write(`  prefill: ${fmt(EVENTS / filled.seconds)} ev/s\n`);

  process.stderr.write('(b) read ceiling...\n');
  const read = BENCH_ONLY_DAEMON ? 0 : await readCeiling(origin.client, filled.last.commit);
  // The write ceiling uses the client's best path (BatchAppend), measured before the daemon's setup below.
  process.stderr.write(`  ${fmt(read)} ev/s\n(c) write ceiling...\n`);
  const write = BENCH_ONLY_DAEMON ? 0 : await writeCeiling(writeTarget.client);
  // What the daemon does (src/daemon/node-clients.ts): classic Append only, origin read on a worker thread.
  useClassicAppendOnly();
  process.stderr.write(`  ${fmt(write)} ev/s\n(a) daemon link...\n`);
  const daemon = await daemonRate(origin, dest.client, filled.last);
  process.stderr.write(`  ${fmt(daemon.rate)} ev/s, peak RSS ${fmt(daemon.peakRssMb)} MiB\n`);
  // For profiling the link alone (node --cpu-prof): skip the other measurements.
  if (BENCH_ONLY_DAEMON) return;
  process.stderr.write(`  ${fmt(write)} ev/s\n(d) Linker-style on ${LINKER_SUBSET} events...\n`);
  const linker = await linkerStyleRate(origin.client, linkerTarget.client);
  process.stderr.write(`  ${fmt(linker)} ev/s\n(e) live latency at ${LIVE_RATE} ev/s for ${LIVE_SECONDS} s...\n`);
  const live = await liveLatency(liveOrigin, liveDestination);

  const ceiling = Math.min(read, write);
  const results = {
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      totalMemMb: Math.round(totalmem() / 2 ** 20),
      node: process.version,
    },
    workload: {
      events: EVENTS,
      streams: STREAMS,
      eventBytes: EVENT_BYTES,
      prefillRun: PREFILL_RUN,
      writeConcurrency: WRITE_CONCURRENCY,
    },
    eventsPerSecond: {
      daemon: daemon.rate,
      readCeiling: read,
      writeCeiling: write,
      linkerStyle: linker,
      prefill: EVENTS / filled.seconds,
    },
    ratios: {
      daemonToCeiling: daemon.rate / ceiling,
      daemonToCeilingTarget: 0.7,
      daemonToLinkerStyle: daemon.rate / linker,
      daemonToLinkerStyleTarget: 10,
    },
    peakRssMb: daemon.peakRssMb,
    bufferConfig: { ...daemon.options.buffer, lanes: daemon.options.lanes, batch: daemon.options.batch },
    liveLatencyMs: { rate: LIVE_RATE, seconds: LIVE_SECONDS, ...live },
  };

  const rows: [string, string][] = [
    ['(a) daemon link (LinkerService)', `${fmt(daemon.rate)} ev/s`],
    ['(b) read ceiling (subscribeToAll, no-op)', `${fmt(read)} ev/s`],
    ['(c) write ceiling (1 append/stream, x16)', `${fmt(write)} ev/s`],
    [`(d) Linker-style (read+append/event, ${LINKER_SUBSET})`, `${fmt(linker)} ev/s`],
    [
      'daemon / min(read, write)   (target >= 0.70)',
      `${fmt(results.ratios.daemonToCeiling, 2)} ${results.ratios.daemonToCeiling >= 0.7 ? 'OK' : 'BELOW'}`,
    ],
    [
      'daemon / Linker-style       (target >= 10x)',
      `${fmt(results.ratios.daemonToLinkerStyle, 1)}x ${results.ratios.daemonToLinkerStyle >= 10 ? 'OK' : 'BELOW'}`,
    ],
    [
      'peak RSS of the bench process during (a)',
      `${fmt(daemon.peakRssMb)} MiB (buffer ${daemon.options.buffer.maxEvents} ev / ${fmt(daemon.options.buffer.maxBytes / 2 ** 20)} MiB, ${daemon.options.lanes} lanes)`,
    ],
    [
      `live latency p50 / p99 / max @ ${LIVE_RATE} ev/s`,
      `${fmt(live.p50, 1)} / ${fmt(live.p99, 1)} / ${fmt(live.max, 1)} ms (${live.samples}/${live.sent} events; origin append alone p50 ${fmt(live.originAppendP50, 1)} ms)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(
    `\nbench-link: ${EVENTS} events, ${STREAMS} streams, ${EVENT_BYTES} B JSON, ${results.machine.cpus} CPUs, Node ${process.version}\n`,
  );
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  await mkdir('test-output', { recursive: true });
  await writeFile('test-output/bench-link.json', `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write('\nwritten: test-output/bench-link.json\n');
}

async function cleanup(): Promise<void> {
  await Promise.allSettled(clients.map((c) => c.dispose()));
  await Promise.allSettled(emulators.map((e) => e.stop()));
}

main().then(
  async () => {
    await cleanup();
  },
  async (err: unknown) => {
    process.stderr.write(`bench-link failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await cleanup();
    process.exitCode = 1;
  },
);
