/**
 * Emulator benchmark: throughput of each path the daemon uses, through the real `@eventstore/db-client`, with the
 * emulator in a child process (`esdb-linker emulator --port 0`) so its CPU is measured apart from the client's:
 * the client with `process.cpuUsage()`, the server from `/proc/<pid>/stat` (utime + stime) around each phase.
 *
 *   npm run build && npm run bench:emulator        (BENCH_EVENTS=20000 to scale down)
 *
 * Paths: appends of 100-event batches (BatchAppend, and the classic Append RPC on a second emulator started with
 * --no-batch-append), a readAll of the whole log, and a subscribeToAll catch-up over it. Targets: >= 30k events/s
 * per path, and less server CPU per event than client CPU per event (the emulator must never be the bottleneck
 * of a benchmark that uses it). Results: a table on stdout and test-output/bench-emulator.json.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { EventStoreDBClient, NO_STREAM, START, jsonEvent, type EventData } from '@eventstore/db-client';
import { formatLoad, measureEmulatorUnderLoad, type LoadOptions } from './emulator-load.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { ownCpuMicros as clientCpuMicros, processCpuMicros } from './process-cpu.js';

const EVENTS = positiveInt('BENCH_EVENTS', 100_000);
const BATCH = 100;
const EVENT_BYTES = 200;
/** Appends in flight at once: enough to keep the server busy without measuring queueing in the client. */
const APPEND_CONCURRENCY = positiveInt('BENCH_APPEND_CONCURRENCY', 4);
const TARGET_EVENTS_PER_SECOND = 30_000;
/** The load phase: append latency with BENCH_STORED events in the log (0 skips it). */
const LOAD: LoadOptions = {
  stored: nonNegativeInt('BENCH_STORED', 1_000_000),
  rate: positiveInt('BENCH_RATE', 1_000),
  seconds: positiveInt('BENCH_LATENCY_SECONDS', 5),
  eventBytes: EVENT_BYTES,
};

function nonNegativeInt(name: string, fallback: number): number {
  return process.env[name] === '0' ? 0 : positiveInt(name, fallback);
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

interface PhaseResult {
  path: string;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  serverCpuMicrosPerEvent: number;
  clientCpuMicrosPerEvent: number;
  serverToClient: number;
}

async function measure(path: string, serverPid: number, run: () => Promise<number>): Promise<PhaseResult> {
  const server0 = processCpuMicros(serverPid);
  const client0 = clientCpuMicros();
  const t0 = performance.now();
  const events = await run();
  const seconds = (performance.now() - t0) / 1000;
  const server = processCpuMicros(serverPid) - server0;
  const client = clientCpuMicros() - client0;
  return {
    path,
    events,
    seconds,
    eventsPerSecond: events / seconds,
    serverCpuMicrosPerEvent: server / events,
    clientCpuMicrosPerEvent: client / events,
    serverToClient: server / client,
  };
}

/** A JSON body of exactly EVENT_BYTES bytes once serialised. */
function body(batch: number, seq: number): Record<string, unknown> {
  const base = { batch, seq, pad: '' };
  return { ...base, pad: 'x'.repeat(Math.max(0, EVENT_BYTES - JSON.stringify(base).length)) };
}

function batchOf(batch: number, size: number): EventData[] {
  return Array.from({ length: size }, (_, seq) =>
    jsonEvent({ id: randomUUID(), type: 'BenchEvent', data: body(batch, seq) }),
  );
}

/** Appends `total` events in batches of BATCH, each batch a new stream, APPEND_CONCURRENCY batches in flight. */
async function appendAll(client: EventStoreDBClient, prefix: string, total: number): Promise<number> {
  const batches = Math.ceil(total / BATCH);
  let next = 0;
  let written = 0;
  const worker = async (): Promise<void> => {
    while (next < batches) {
      const b = next++;
      const size = Math.min(BATCH, total - b * BATCH);
      // Events are built inside the timed phase on purpose: building them is part of what a writer pays per event.
      await client.appendToStream(`${prefix}-${b}`, batchOf(b, size), { expectedRevision: NO_STREAM });
      written += size;
    }
  };
  await Promise.all(Array.from({ length: APPEND_CONCURRENCY }, () => worker()));
  return written;
}

async function readAllEvents(client: EventStoreDBClient, expected: number): Promise<number> {
  // `on('data')` rather than `for await`: the async iterator adds a few µs of client CPU per event.
  const count = await new Promise<number>((resolve, reject) => {
    let n = 0;
    const read = client.readAll({ fromPosition: START, maxCount: expected });
    read.on('data', (resolved: { event?: unknown }) => {
      if (resolved.event !== undefined) n++;
    });
    read.on('end', () => resolve(n));
    read.on('error', reject);
  });
  if (count !== expected) throw new Error(`readAll returned ${count} events, expected ${expected}`);
  return count;
}

async function catchUp(client: EventStoreDBClient, expected: number): Promise<number> {
  const subscription = client.subscribeToAll({ fromPosition: START });
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    subscription.on('data', () => {
      count++;
      if (count === expected) resolve();
    });
    subscription.on('error', reject);
    subscription.on('caughtUp', () => {
      if (count < expected) reject(new Error(`caught up after ${count} of ${expected} events`));
    });
  });
  await subscription.unsubscribe();
  return count;
}

/**
 * Events/s if client and server each had a core of their own: the slower side's CPU per event bounds it. On a
 * machine busy with other work, wall-clock events/s falls well below this; CPU per event barely moves.
 */
function cpuCeiling(r: PhaseResult): number {
  return 1_000_000 / Math.max(r.serverCpuMicrosPerEvent, r.clientCpuMicrosPerEvent);
}

function formatTable(results: PhaseResult[]): string {
  const header = [
    'path',
    'events',
    'seconds',
    'events/s',
    'server µs/event',
    'client µs/event',
    'server/client',
    'CPU ceiling/s',
  ];
  const rows = results.map((r) => [
    r.path,
    String(r.events),
    r.seconds.toFixed(2),
    Math.round(r.eventsPerSecond).toLocaleString('en-US'),
    r.serverCpuMicrosPerEvent.toFixed(1),
    r.clientCpuMicrosPerEvent.toFixed(1),
    r.serverToClient.toFixed(2),
    Math.round(cpuCeiling(r)).toLocaleString('en-US'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const emulators: EmulatorProcess[] = [];
  const clients: EventStoreDBClient[] = [];
  try {
    const batchAppend = await startEmulatorProcess();
    emulators.push(batchAppend);
    const classic = await startEmulatorProcess(['--no-batch-append']);
    emulators.push(classic);
    const client = EventStoreDBClient.connectionString(batchAppend.connectionString);
    const classicClient = EventStoreDBClient.connectionString(classic.connectionString);
    clients.push(client, classicClient);
    const prefix = `bench-${randomUUID().slice(0, 8)}`;

    // Warm both processes' JITs (and open the channels) outside the measured phases.
    const warmup = Math.min(2_000, EVENTS);
    await appendAll(client, `${prefix}-warm`, warmup);
    await appendAll(classicClient, `${prefix}-warm`, warmup);

    const results: PhaseResult[] = [];
    results.push(await measure('append (BatchAppend)', batchAppend.pid, () => appendAll(client, prefix, EVENTS)));
    results.push(await measure('append (classic Append)', classic.pid, () => appendAll(classicClient, prefix, EVENTS)));
    // The log now holds the warm-up and the measured appends; both reads go over all of it.
    const logSize = warmup + EVENTS;
    results.push(await measure('readAll', batchAppend.pid, () => readAllEvents(client, logSize)));
    results.push(await measure('subscribeToAll catch-up', batchAppend.pid, () => catchUp(client, logSize)));

    // The throughput emulators are done: stop them so the load phase has the machine to itself.
    await Promise.allSettled(clients.splice(0).map((c) => c.dispose()));
    await Promise.allSettled(emulators.splice(0).map((e) => e.stop()));
    const load = LOAD.stored > 0 ? await measureEmulatorUnderLoad(LOAD) : undefined;

    const table = formatTable(results);
    const verdicts = results.map((r) => {
      const fast = r.eventsPerSecond >= TARGET_EVENTS_PER_SECOND;
      const lean = r.serverCpuMicrosPerEvent < r.clientCpuMicrosPerEvent;
      return `${r.path}: ${fast ? 'meets' : 'MISSES'} ${TARGET_EVENTS_PER_SECOND.toLocaleString('en-US')} events/s; server CPU/event ${lean ? '<' : '>='} client CPU/event`;
    });
    const loadAverage = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    process.stdout.write(
      `emulator benchmark (load average ${loadAverage}): ${EVENTS} events of ${EVENT_BYTES} bytes, batches of ${BATCH}, ${APPEND_CONCURRENCY} appends in flight, ` +
        `${cpus().length} CPUs, node ${process.version}\n\n${table}\n\n${verdicts.join('\n')}\n` +
        (load === undefined ? '' : `\n${formatLoad(load, LOAD)}\n`),
    );
    await mkdir('test-output', { recursive: true });
    await writeFile(
      'test-output/bench-emulator.json',
      `${JSON.stringify({ events: EVENTS, loadAverage, batch: BATCH, eventBytes: EVENT_BYTES, appendConcurrency: APPEND_CONCURRENCY, cpus: cpus().length, node: process.version, results, load }, null, 2)}\n`,
    );
  } finally {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await Promise.allSettled(emulators.map((e) => e.stop()));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-emulator: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
