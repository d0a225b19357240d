/**
 * The emulator under a large log: append latency at a fixed rate with an empty store and again after
 * preloading `stored` events, side by side in one run (on a shared machine only the ratio is meaningful),
 * plus the emulator's resident memory per stored event (`/proc/<pid>/status` VmRSS before and after the
 * preload, less the payload bytes).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStoreDBClient, jsonEvent, type EventData } from '@eventstore/db-client';
import { startEmulatorProcess } from './emulator-process.js';

export interface LoadOptions {
  stored: number;
  /** Appends (of one event each) per second in the latency phases. */
  rate: number;
  seconds: number;
  eventBytes: number;
}

export interface LatencyFigures {
  stored: number;
  appends: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface LoadResult {
  empty: LatencyFigures;
  loaded: LatencyFigures;
  preloadSeconds: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  rssBytesPerStoredEvent: number;
  payloadBytesPerEvent: number;
  overheadBytesPerStoredEvent: number;
}

const PRELOAD_BATCH = 500;
const PRELOAD_CONCURRENCY = 4;
const STREAMS = 1_000;

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function payload(eventBytes: number): Record<string, unknown> {
  const base = { seq: 0, pad: '' };
  return { ...base, pad: 'x'.repeat(Math.max(0, eventBytes - JSON.stringify(base).length)) };
}

async function preload(client: EventStoreDBClient, options: LoadOptions): Promise<void> {
  const data = payload(options.eventBytes);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.stored) {
      const start = next;
      const size = Math.min(PRELOAD_BATCH, options.stored - start);
      next += size;
      const events: EventData[] = Array.from({ length: size }, () => jsonEvent({ type: 'Stored', data }));
      await client.appendToStream(`stored-${(start / PRELOAD_BATCH) % STREAMS}`, events);
    }
  };
  await Promise.all(Array.from({ length: PRELOAD_CONCURRENCY }, () => worker()));
}

/** One-event appends at `rate`/s for `seconds`, each timed from the call to its acknowledgement. */
async function latencyAtRate(
  client: EventStoreDBClient,
  options: LoadOptions,
  stored: number,
): Promise<LatencyFigures> {
  const data = payload(options.eventBytes);
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const latencies: number[] = [];
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    // Schedule by the clock, not by sleeps, so a stall is measured as latency instead of lowering the rate.
    const due = t0 + (i * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const sent = performance.now();
    inFlight.push(
      client.appendToStream(`live-${i % STREAMS}`, jsonEvent({ type: 'Live', data })).then(() => {
        latencies.push(performance.now() - sent);
      }),
    );
  }
  await Promise.all(inFlight);
  latencies.sort((a, b) => a - b);
  return {
    stored,
    appends: latencies.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
  };
}

export async function measureEmulatorUnderLoad(options: LoadOptions): Promise<LoadResult> {
  const emulator = await startEmulatorProcess();
  const client = EventStoreDBClient.connectionString(emulator.connectionString);
  try {
    // Warm the JIT and the channel outside the measured phases.
    await latencyAtRate(client, { ...options, seconds: 1 }, 0);
    const empty = await latencyAtRate(client, options, 0);
    const rssBefore = rssBytes(emulator.pid);
    const t0 = performance.now();
    await preload(client, options);
    const preloadSeconds = (performance.now() - t0) / 1000;
    const rssAfter = rssBytes(emulator.pid);
    const loaded = await latencyAtRate(client, options, options.stored);
    const payloadBytes = Buffer.byteLength(JSON.stringify(payload(options.eventBytes)));
    const perEvent = (rssAfter - rssBefore) / options.stored;
    return {
      empty,
      loaded,
      preloadSeconds,
      rssBeforeMiB: rssBefore / 2 ** 20,
      rssAfterMiB: rssAfter / 2 ** 20,
      rssBytesPerStoredEvent: perEvent,
      payloadBytesPerEvent: payloadBytes,
      overheadBytesPerStoredEvent: perEvent - payloadBytes,
    };
  } finally {
    await client.dispose().catch(() => undefined);
    await emulator.stop();
  }
}

export function formatLoad(r: LoadResult, options: LoadOptions): string {
  const row = (label: string, f: LatencyFigures): string =>
    `${label.padEnd(22)} ${String(f.appends).padStart(7)}  ${f.p50Ms.toFixed(2).padStart(8)}  ${f.p99Ms.toFixed(2).padStart(8)}  ${f.maxMs.toFixed(1).padStart(8)}`;
  return [
    `append latency at ${options.rate} appends/s (1 event of ${options.eventBytes} B each) for ${options.seconds} s:`,
    `${'stored events'.padEnd(22)} ${'appends'.padStart(7)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  ${'max ms'.padStart(8)}`,
    row('0', r.empty),
    row(options.stored.toLocaleString('en-US'), r.loaded),
    `p99 ratio loaded/empty: ${(r.loaded.p99Ms / r.empty.p99Ms).toFixed(2)}`,
    `preload: ${options.stored.toLocaleString('en-US')} events in ${r.preloadSeconds.toFixed(1)} s; emulator RSS ${r.rssBeforeMiB.toFixed(0)} -> ${r.rssAfterMiB.toFixed(0)} MiB = ` +
      `${r.rssBytesPerStoredEvent.toFixed(0)} B per stored event (payload ${r.payloadBytesPerEvent} B + ${r.overheadBytesPerStoredEvent.toFixed(0)} B)`,
  ].join('\n');
}
