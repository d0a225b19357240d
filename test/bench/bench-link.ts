/**
 * Replication benchmark: the daemon's link against the read and write ceilings of the same emulator,
 * against a Linker-style copy (one read + one append per event), plus live latency. Emulators run in
 * child processes. `BENCH_EVENTS` scales the event count (default 100_000 over count/100 streams).
 *
 * Each ceiling is measured twice: with the official client as shipped (a catch-up subscription with a no-op
 * handler; ideal appends), as the ceilings are defined, and with the link's own hand-coded reader / appender,
 * which are faster. The daemon's ratio is reported against both. Every phase also reports CPU per event,
 * split by process (this one, with its worker thread, and each emulator): steadier than events/s on a busy
 * machine, and it gives the bound no link can pass on this machine: a link reads AND writes every event, so
 * with the servers on the same cores it cannot beat cores / (CPU per event read + CPU per event written).
 *
 *   npm run build && npm run bench
 *
 * Results: a table on stdout and test-output/bench-link.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  jsonEvent,
  NO_STREAM,
  START,
  StreamNotFoundError,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type EventData,
} from '@eventstore/db-client';
import PQueue from 'p-queue';
import { subscribeRawToAll, type RawAllSubscription } from '../../src/client/raw-all-subscription.js';
import { RawAppender } from '../../src/client/raw-appender.js';
import { withReceiveWindow } from '../../src/client/receive-window.js';
import { installRawBytes, type RawEventInput } from '../../src/client/raw-bytes.js';
import type { ResolvedLinkOptions } from '../../src/link/link-options.js';
import { LinkerService } from '../../src/link/linker-service.js';
import { placeReader } from '../../src/link/read/reader-placement.js';
import { noopLinkMetrics } from '../../src/link/link-metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import { annotateMetadata } from '../../src/link/filter/annotations.js';
import { LINK_OVERRIDES, linkOptions } from './bench-link-options.js';
import { formatLive, LIVE_WARMUP_SECONDS } from './bench-live.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { liveLatencies } from './live-phase.js';
import { formatScaling, runScaling, scalingEnabled } from './scaling.js';
import { cpuMeter } from './process-cpu.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const STREAMS = Math.max(1, Math.round(EVENTS / 100));
const EVENT_BYTES = 200;
/** Events per prefill append: $all interleaves streams in runs of this length, like a busy real log. */
const PREFILL_RUN = 10;
const WRITE_CONCURRENCY = 16;
const LINKER_SUBSET = Math.min(5_000, EVENTS);
/** Live rates, one phase each on the same link, after it caught up with the whole pre-filled origin. */
const LIVE_RATES = (process.env.BENCH_LIVE_RATES ?? '1000,5000').split(',').map(Number);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const PREFIX = `bench-${randomUUID().slice(0, 8)}-`;

const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', format: 'json', destination: 2 });
const emulators: EmulatorProcess[] = [];
const clients: EventStoreDBClient[] = [];

interface Node {
  client: EventStoreDBClient;
  connectionString: string;
  pid: number;
}

async function emulator(extraArgs: string[] = []): Promise<Node> {
  const e = await startEmulatorProcess(extraArgs);
  emulators.push(e);
  const client = EventStoreDBClient.connectionString(e.connectionString);
  clients.push(client);
  return { client, connectionString: e.connectionString, pid: e.pid };
}

/** CPU per event of one phase: this process (all threads) and the emulators it used, µs. */
interface CpuPerEvent {
  linkProcess: number;
  emulators: number[];
  total: number;
  /** Share of the machine's cores busy during the phase (any process, the kernel included). */
  machineBusy: number;
  /** Share of the machine's cores the measured processes used (total CPU / (cores x elapsed)). */
  measuredBusy: number;
}

async function withCpu<T extends { events: number }>(
  pids: number[],
  run: () => Promise<T>,
): Promise<T & { cpu: CpuPerEvent }> {
  const meter = cpuMeter(pids);
  const started = performance.now();
  const result = await run();
  const used = meter.stop();
  const elapsedMicros = (performance.now() - started) * 1000;
  const per = (micros: number) => micros / Math.max(1, result.events);
  const emulatorsCpu = used.others.map(per);
  return {
    ...result,
    cpu: {
      linkProcess: per(used.own),
      emulators: emulatorsCpu,
      total: per(used.own) + emulatorsCpu.reduce((a, b) => a + b, 0),
      machineBusy: used.machineBusy,
      measuredBusy: (used.own + used.others.reduce((a, b) => a + b, 0)) / (cpus().length * elapsedMicros),
    },
  };
}

interface Rate {
  events: number;
  perSecond: number;
}

function rate(events: number, startedMs: number): Rate {
  return { events, perSecond: events / ((performance.now() - startedMs) / 1000) };
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

/**
 * The link's options as the bench runs it: the write ceilings write what this link writes. With `annotate`
 * (the default) that is each event's data plus the metadata the link's annotations give it (about 110 bytes:
 * `$origin`, `$applies`, `$eventStreamId`, `$eventNumber`); until 2026-12-07 the ceilings wrote the events
 * bare, and the destination's work for those bytes counted as the link's overhead.
 */
const BENCH_LINK = linkOptions('bench', LINK_OVERRIDES);
const NO_METADATA = new Uint8Array(0);

/** The metadata the link writes for event `k` of origin stream `s` (empty when it does not annotate). */
function linkMetadata(s: number, k: number): Uint8Array {
  if (!BENCH_LINK.annotate) return NO_METADATA;
  return annotateMetadata(NO_METADATA, {
    originNode: BENCH_LINK.origin,
    streamId: streamName(s),
    revision: BigInt(k),
    createdMs: Date.now(),
  });
}

/** Each stream's events as ONE batch: the ideal shape for a write ceiling. */
function idealBatches(
  streamPrefix = '',
  share = 1,
): { stream: string; events: { id: string; body: Record<string, unknown>; metadata: Uint8Array }[] }[] {
  const perStream = Math.ceil(EVENTS / STREAMS);
  return Array.from({ length: Math.max(1, Math.round(STREAMS * share)) }, (_, s) => ({
    stream: streamPrefix + streamName(s),
    events: Array.from({ length: Math.max(0, Math.min(perStream, EVENTS - s * perStream)) }, (_, k) => ({
      id: randomUUID(),
      body: body(s, k),
      metadata: linkMetadata(s, k),
    })),
  })).filter((b) => b.events.length > 0);
}

/** Appends every batch with bounded concurrency; returns the events written and the rate. */
async function writeAll<B extends { events: unknown[] }>(
  batches: B[],
  append: (batch: B) => Promise<unknown>,
): Promise<Rate> {
  const queue = new PQueue({ concurrency: WRITE_CONCURRENCY });
  const started = performance.now();
  for (const batch of batches) void queue.add(() => append(batch));
  await queue.onIdle();
  return rate(
    batches.reduce((n, b) => n + b.events.length, 0),
    started,
  );
}

/**
 * A client of one phase's own, closed when the phase ends. grpc-js keeps the stack of the code that opened a
 * call (for the call's errors), so a long-lived call (a BatchAppend stream lives as long as its connection)
 * keeps that code's scope: on a client shared between phases, the events of each write phase stayed in this
 * process (about 25 MB a round), and the link measured after them paid for marking them in every collection
 * (its process CPU per event was about a third higher than in a process of its own).
 */
async function withPhaseClient<T>(
  connectionString: string,
  run: (client: EventStoreDBClient) => Promise<T>,
): Promise<T> {
  const client = EventStoreDBClient.connectionString(connectionString);
  try {
    return await run(client);
  } finally {
    await client.dispose();
  }
}

/**
 * (c1) Write ceiling through the official client: `appendToStream` (BatchAppend), one append per stream.
 * The events are made first; only the returned `run` writes them (what the CPU figures measure).
 */
function writeCeilingOfficial(connectionString: string, streamPrefix = '', share = 1): () => Promise<Rate> {
  const batches = idealBatches(streamPrefix, share).map((b) => ({
    stream: b.stream,
    events: b.events.map((e) =>
      jsonEvent({
        id: e.id,
        type: 'BenchEvent',
        data: e.body,
        ...(e.metadata.length > 0 ? { metadata: JSON.parse(Buffer.from(e.metadata).toString('utf8')) as object } : {}),
      }),
    ),
  }));
  return () =>
    withPhaseClient(connectionString, (client) =>
      writeAll(batches, (b) => client.appendToStream(b.stream, b.events, { expectedRevision: NO_STREAM })),
    );
}

/** (c2) Write ceiling through the link's own appender (hand-encoded BatchAppend), one append per stream. */
function writeCeilingWire(connectionString: string, streamPrefix = '', share = 1): () => Promise<Rate> {
  const batches = idealBatches(streamPrefix, share).map((b) => ({
    stream: b.stream,
    events: b.events.map((e): RawEventInput => ({
      id: e.id,
      type: 'BenchEvent',
      contentType: 'application/json',
      data: Buffer.from(JSON.stringify(e.body)),
      metadata: e.metadata,
    })),
  }));
  return () =>
    withPhaseClient(connectionString, (client) => {
      const appender = new RawAppender(client);
      return writeAll(batches, (b) => appender.append(b.stream, b.events, { expectedRevision: NO_STREAM }));
    });
}

/** (b1) Read ceiling through the official client: a catch-up `subscribeToAll` with a no-op handler. */
async function readCeilingOfficial(client: EventStoreDBClient, last: bigint, stopAfter = Infinity): Promise<Rate> {
  const started = performance.now();
  let count = 0;
  const sub = client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [PREFIX] }) });
  await new Promise<void>((resolve, reject) => {
    sub.on('data', (e: AllStreamResolvedEvent) => {
      count++;
      if ((e.event && e.event.position.commit >= last) || count >= stopAfter) resolve();
    });
    sub.on('error', reject);
  });
  const result = rate(count, started);
  await sub.unsubscribe().catch(() => undefined);
  return result;
}

/** (b2) Read ceiling through the link's own reader (hand-decoded subscription) with a no-op handler. */
async function readCeilingWire(client: EventStoreDBClient, last: bigint, stopAfter = Infinity): Promise<Rate> {
  const started = performance.now();
  let count = 0;
  let sub: RawAllSubscription | undefined;
  await new Promise<void>((resolve, reject) => {
    sub = subscribeRawToAll(
      client,
      { from: 'start', filter: { on: 'stream-name', prefixes: [PREFIX], checkpointInterval: 1 } },
      {
        onEvent: (e) => {
          count++;
          if (e.commit >= last || count >= stopAfter) resolve();
        },
        onCheckpoint: () => undefined,
        onCaughtUp: () => undefined,
        onError: reject,
        onEnd: () => reject(new Error('the subscription ended')),
      },
    );
  });
  const result = rate(count, started);
  await sub?.unsubscribe().catch(() => undefined);
  return result;
}

/** (a) The daemon's link: a LinkerService from the pre-filled origin to a fresh destination, until caught up. */
function daemonRate(
  origin: { client: EventStoreDBClient; connectionString: string },
  destinationConnectionString: string,
  last: { commit: bigint; prepare: bigint },
  overrides: Record<string, unknown> = {},
): Promise<Rate & { peakRssMb: number; rssBeforeMb: number; options: ResolvedLinkOptions; readerThread: string }> {
  return withPhaseClient(destinationConnectionString, async (destination) => {
    const options = linkOptions('bench', { ...LINK_OVERRIDES, ...overrides });
    const link = new LinkerService({
      options,
      origin: { name: 'origin', client: origin.client, connectionString: origin.connectionString },
      destination: { name: 'destination', client: destination },
      logger: logger.child({ link: 'bench' }),
      metrics: noopLinkMetrics,
    });
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 200);
    const started = performance.now();
    try {
      await link.start();
      await link.waitForPosition(last);
      return {
        ...rate(link.status().eventsReplicated, started),
        peakRssMb: peak / 2 ** 20,
        rssBeforeMb: before / 2 ** 20,
        options,
        readerThread: placeReader(options.readerThread, origin.connectionString).thread,
      };
    } finally {
      clearInterval(sampler);
      await link.stop({ graceMs: 5_000 });
    }
  });
}

/**
 * A warm-up of the link's code in this process: the same link from the same origin into a scratch
 * destination, stopped after `events`. The measured link then starts afresh (new reader thread, whose
 * code is cold again: that start-up stays in the measurement).
 */
function warmUpLink(
  origin: { client: EventStoreDBClient; connectionString: string },
  scratchConnectionString: string,
  events: number,
  overrides: Record<string, unknown> = {},
): Promise<void> {
  return withPhaseClient(scratchConnectionString, async (scratch) => {
    const link = new LinkerService({
      options: linkOptions(`bench-warm-up-${randomUUID().slice(0, 8)}`, { ...LINK_OVERRIDES, ...overrides }),
      origin: { name: 'origin', client: origin.client, connectionString: origin.connectionString },
      destination: { name: 'scratch', client: scratch },
      logger: logger.child({ link: 'bench-warm-up' }),
      metrics: noopLinkMetrics,
    });
    await link.start();
    try {
      while (link.status().eventsReplicated < events && link.state === 'running') {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await link.stop({ graceMs: 5_000 });
    }
  });
}

/** (d) Linker-style: for each event, read the destination stream's last event, then append that one event. */
async function linkerStyleRate(origin: EventStoreDBClient, destination: EventStoreDBClient): Promise<Rate> {
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
  return rate(copied, started);
}

/**
 * A profile of this thread during the daemon phase only: CPU (BENCH_PROFILE=file.cpuprofile) or sampled
 * allocations, short-lived ones included (BENCH_HEAP_PROFILE=file.heapprofile).
 */
async function startProfile(kind: 'cpu' | 'heap'): Promise<{ stop(file: string): Promise<void> }> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) =>
      session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))),
    );
  if (kind === 'cpu') {
    await post('Profiler.enable');
    await post('Profiler.start');
  } else {
    await post('HeapProfiler.enable');
    await post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  return {
    async stop(file) {
      const { profile } = (await post(kind === 'cpu' ? 'Profiler.stop' : 'HeapProfiler.stopSampling')) as {
        profile: unknown;
      };
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';
}

function cpuText(cpu: CpuPerEvent): string {
  const parts = [
    `link process ${fmt(cpu.linkProcess, 1)}`,
    ...cpu.emulators.map((e, i) => `emulator ${i + 1} ${fmt(e, 1)}`),
  ];
  return `${fmt(cpu.total, 1)} µs/event (${parts.join(', ')}); cores busy ${fmt(cpu.machineBusy, 2)}, measured ${fmt(cpu.measuredBusy, 2)}`;
}

const BENCH_ONLY_DAEMON = process.env.BENCH_ONLY_DAEMON === '1';
/**
 * Rounds of (b2), (a) and (c2), one after the other; the figures are medians over the rounds. Five: on a
 * machine whose speed moves by a quarter from one minute to the next, the median then stands even when two
 * rounds meet a slow moment.
 */
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 5));

type Phase = Rate & { cpu: CpuPerEvent };
type DaemonPhase = Awaited<ReturnType<typeof daemonRate>> & { cpu: CpuPerEvent };

interface Round {
  b2: Phase;
  c2: Phase;
  a: DaemonPhase;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Each figure of a phase as its median over the rounds. */
function medianPhase(phases: readonly Phase[]): Phase {
  const m = (pick: (p: Phase) => number) => median(phases.map(pick));
  return {
    events: m((p) => p.events),
    perSecond: m((p) => p.perSecond),
    cpu: {
      linkProcess: m((p) => p.cpu.linkProcess),
      emulators: phases[0]!.cpu.emulators.map((_, i) => m((p) => p.cpu.emulators[i] ?? 0)),
      total: m((p) => p.cpu.total),
      machineBusy: m((p) => p.cpu.machineBusy),
      measuredBusy: m((p) => p.cpu.measuredBusy),
    },
  };
}
/** (a-worker): the daemon's link with its origin subscription on a worker thread (what `auto` picks for a remote origin). */
const WORKER_READER = { readerThread: 'worker' };
/**
 * Before each measured phase the same code runs on this share of the workload, unmeasured (0: no
 * warm-up): the phases measure a daemon's steady cost per event, not V8 compiling the code on first use,
 * and each phase's code would otherwise be as cold or as warm as the phases before it happened to leave it.
 */
const WARMUP_SHARE = Number(process.env.BENCH_WARMUP ?? 0.2);
const WARMUP_EVENTS = Math.round(EVENTS * WARMUP_SHARE);

async function main(): Promise<void> {
  process.stderr.write(`bench-link: ${EVENTS} events over ${STREAMS} streams, ${EVENT_BYTES}-byte JSON\n`);
  // All emulators start up front: a rebuild of dist/ during a long run must not break a later spawn.
  const origin = await emulator();
  const [dest, writeOfficial, writeWire, linkerTarget, liveDestination, tlsOrigin, tlsDest, scratch, workerDest] =
    await Promise.all([
      emulator(),
      emulator(),
      emulator(),
      emulator(),
      emulator(),
      // The same link over TLS with users and ACLs (admin credentials), beside the plain one in the same run.
      emulator(['--secure']),
      emulator(['--secure']),
      // The warm-ups' writes (BENCH_WARMUP).
      emulator(),
      // (a-worker): the same link reading on a worker thread.
      emulator(),
    ]);
  // Each repetition of (a) copies into a fresh destination.
  const destinations = [dest, ...(await Promise.all(Array.from({ length: REPEAT - 1 }, () => emulator())))];
  process.stderr.write('prefilling the origin...\n');
  const filled = await prefill(origin.client);
  process.stderr.write(`  prefill: ${fmt(EVENTS / filled.seconds)} ev/s\n`);
  const last = filled.last.commit;

  // Ceilings first, each with what does that job best: the official client as shipped (measured before
  // anything of ours is installed in this process) and the link's own hand-coded reader and appender.
  const skip = async (): Promise<Rate & { cpu: CpuPerEvent }> => ({
    events: 0,
    perSecond: 0,
    cpu: { linkProcess: 0, emulators: [], total: 0, machineBusy: 0, measuredBusy: 0 },
  });
  const warm = WARMUP_EVENTS > 0;
  if (warm) {
    // Every server a measured phase writes to takes a warm-up's worth of appends first (streams of their own):
    // a production destination is a long-running server, while a fresh emulator process runs its append path
    // in V8's interpreter for its first appends (the link's first acknowledgements took about 200 ms on a
    // cold destination). The origin is warm already from the prefill.
    process.stderr.write('warming the servers the phases write to...\n');
    const written = [writeOfficial, writeWire, ...destinations, workerDest];
    for (const node of written) await writeCeilingWire(node.connectionString, 'warm-server-', WARMUP_SHARE)();
  }
  process.stderr.write('(b1) read ceiling, official client...\n');
  if (warm && !BENCH_ONLY_DAEMON) await readCeilingOfficial(origin.client, last, WARMUP_EVENTS);
  const readOfficial = BENCH_ONLY_DAEMON
    ? await skip()
    : await withCpu([origin.pid], () => readCeilingOfficial(origin.client, last));
  process.stderr.write(`  ${fmt(readOfficial.perSecond)} ev/s\n(c1) write ceiling, official client...\n`);
  if (warm && !BENCH_ONLY_DAEMON) await writeCeilingOfficial(scratch.connectionString, 'warm-c1-', WARMUP_SHARE)();
  const writeOfficialRate = BENCH_ONLY_DAEMON
    ? await skip()
    : await withCpu([writeOfficial.pid], writeCeilingOfficial(writeOfficial.connectionString));
  process.stderr.write(`  ${fmt(writeOfficialRate.perSecond)} ev/s\n`);

  // (b2), (a) and (c2) side by side: REPEAT rounds of the three, one after the other, so a noisy moment of
  // the machine moves one round rather than one phase; each ratio is taken within a round, and the
  // figures reported are the medians over the rounds. (a) sits between its two ceilings, so a machine
  // that slows or speeds up steadily moves the ceilings' sum about as much as it moves (a).
  // The link reads with a client of its own that advertises a larger receive window: so does its ceiling.
  const readerClient = withReceiveWindow(EventStoreDBClient.connectionString(origin.connectionString));
  clients.push(readerClient);
  if (warm && !BENCH_ONLY_DAEMON) {
    await readCeilingWire(readerClient, last, WARMUP_EVENTS);
    await writeCeilingWire(scratch.connectionString, 'warm-c2-', WARMUP_SHARE)();
  }
  // What the daemon does (src/daemon/node-clients.ts and the link's start): the byte-exact client hooks.
  installRawBytes();
  if (warm) await warmUpLink(origin, scratch.connectionString, WARMUP_EVENTS);
  const profileFile = process.env.BENCH_PROFILE ?? process.env.BENCH_HEAP_PROFILE;
  const rounds: Round[] = [];
  for (let round = 0; round < REPEAT; round++) {
    process.stderr.write(`round ${round + 1} of ${REPEAT}: (b2) read ceiling, link reader...\n`);
    const b2 = BENCH_ONLY_DAEMON
      ? await skip()
      : await withCpu([origin.pid], () => readCeilingWire(readerClient, last));
    process.stderr.write(`  ${fmt(b2.perSecond)} ev/s, ${cpuText(b2.cpu)}\n  (a) daemon link...\n`);
    const destination = destinations[round]!;
    const profiler =
      profileFile && round === 0 ? await startProfile(process.env.BENCH_PROFILE ? 'cpu' : 'heap') : undefined;
    const a = await withCpu([origin.pid, destination.pid], () =>
      daemonRate(origin, destination.connectionString, filled.last),
    );
    if (profiler && profileFile) await profiler.stop(profileFile);
    process.stderr.write(
      `  ${fmt(a.perSecond)} ev/s, peak RSS ${fmt(a.peakRssMb)} MiB, ${cpuText(a.cpu)}\n  (c2) write ceiling, link appender...\n`,
    );
    const c2 = BENCH_ONLY_DAEMON
      ? await skip()
      : await withCpu([writeWire.pid], writeCeilingWire(writeWire.connectionString, `r${round}-`));
    process.stderr.write(`  ${fmt(c2.perSecond)} ev/s, ${cpuText(c2.cpu)}\n`);
    rounds.push({ b2, c2, a });
  }
  const readWire = medianPhase(rounds.map((r) => r.b2));
  const writeWireRate = medianPhase(rounds.map((r) => r.c2));
  const daemon = {
    ...medianPhase(rounds.map((r) => r.a)),
    peakRssMb: Math.max(...rounds.map((r) => r.a.peakRssMb)),
    rssBeforeMb: rounds[0]!.a.rssBeforeMb,
    options: rounds[0]!.a.options,
    readerThread: rounds[0]!.a.readerThread,
  };
  const perRound = rounds.map((r) => ({
    daemonToCpuBound: (r.a.perSecond * (r.b2.cpu.total + r.c2.cpu.total)) / (cpus().length * 1_000_000),
    linkProcessCpuToReaderPlusAppender: r.a.cpu.linkProcess / (r.b2.cpu.linkProcess + r.c2.cpu.linkProcess),
  }));
  process.stderr.write('(a-worker) daemon link, origin read on a worker thread...\n');
  if (warm) await warmUpLink(origin, scratch.connectionString, WARMUP_EVENTS, WORKER_READER);
  const daemonWorker = await withCpu([origin.pid, workerDest.pid], () =>
    daemonRate(origin, workerDest.connectionString, filled.last, WORKER_READER),
  );
  process.stderr.write(`  ${fmt(daemonWorker.perSecond)} ev/s, ${cpuText(daemonWorker.cpu)}\n`);
  process.stderr.write('(a-tls) daemon link over TLS: prefilling the secure origin...\n');
  const tlsFilled = await prefill(tlsOrigin.client);
  if (warm) await writeCeilingWire(tlsDest.connectionString, 'warm-server-', WARMUP_SHARE)();
  const daemonTls = await withCpu([tlsOrigin.pid, tlsDest.pid], () =>
    daemonRate(tlsOrigin, tlsDest.connectionString, tlsFilled.last),
  );
  process.stderr.write(`  ${fmt(daemonTls.perSecond)} ev/s, ${cpuText(daemonTls.cpu)}\n`);
  const tlsCost = {
    eventsPerSecondLost: daemon.perSecond - daemonTls.perSecond,
    throughputRatio: daemonTls.perSecond / daemon.perSecond,
    cpuMicrosPerEventAdded: daemonTls.cpu.total - daemon.cpu.total,
    cpuRatio: daemonTls.cpu.total / daemon.cpu.total,
  };
  // For profiling the link alone (node --cpu-prof): skip the other measurements.
  if (BENCH_ONLY_DAEMON) return;
  process.stderr.write(`(d) Linker-style on ${LINKER_SUBSET} events...\n`);
  const linker = await linkerStyleRate(origin.client, linkerTarget.client);
  process.stderr.write(
    `  ${fmt(linker.perSecond)} ev/s\n(e) catch-up of ${EVENTS} events, then live lag at ${LIVE_RATES.join(', ')} ev/s for ${LIVE_SECONDS} s each...\n`,
  );
  // After a large catch-up, as users meet it: the whole pre-filled origin to a fresh destination first.
  const live = await liveLatencies(origin, liveDestination, {
    rates: LIVE_RATES,
    seconds: LIVE_SECONDS,
    warmupSeconds: LIVE_WARMUP_SECONDS,
    prefix: `${PREFIX}live-`,
    catchUpTo: filled.last,
    logger,
  });

  const officialCeiling = Math.min(readOfficial.perSecond, writeOfficialRate.perSecond);
  const linkCeiling = Math.min(readWire.perSecond, writeWireRate.perSecond);
  // Reading and writing one event with the link's own reader and appender, servers included, costs this much
  // CPU; on this machine's cores no link can go much faster than the quotient (it is measured, so it moves a little).
  const cpuBound = (cpus().length * 1_000_000) / (readWire.cpu.total + writeWireRate.cpu.total);
  const results = {
    at: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      totalMemMb: Math.round(totalmem() / 2 ** 20),
      node: process.version,
      loadAverage: loadavg(),
    },
    workload: {
      events: EVENTS,
      streams: STREAMS,
      eventBytes: EVENT_BYTES,
      prefillRun: PREFILL_RUN,
      writeConcurrency: WRITE_CONCURRENCY,
    },
    eventsPerSecond: {
      daemon: daemon.perSecond,
      daemonWorkerReader: daemonWorker.perSecond,
      daemonTls: daemonTls.perSecond,
      readCeilingOfficialClient: readOfficial.perSecond,
      readCeilingLinkReader: readWire.perSecond,
      writeCeilingOfficialClient: writeOfficialRate.perSecond,
      writeCeilingLinkAppender: writeWireRate.perSecond,
      linkerStyle: linker.perSecond,
      prefill: EVENTS / filled.seconds,
    },
    cpuMicrosPerEvent: {
      daemon: daemon.cpu,
      daemonWorkerReader: daemonWorker.cpu,
      daemonTls: daemonTls.cpu,
      readCeilingOfficialClient: readOfficial.cpu,
      readCeilingLinkReader: readWire.cpu,
      writeCeilingOfficialClient: writeOfficialRate.cpu,
      writeCeilingLinkAppender: writeWireRate.cpu,
    },
    ratios: {
      daemonToOfficialClientCeiling: daemon.perSecond / officialCeiling,
      daemonToLinkClientCeiling: daemon.perSecond / linkCeiling,
      daemonToCeilingTarget: 0.7,
      cpuBoundEventsPerSecond: cpuBound,
      cpuBoundToLinkClientCeiling: cpuBound / linkCeiling,
      // Within each round, then the median over the rounds (perRound holds each).
      daemonToCpuBound: median(perRound.map((r) => r.daemonToCpuBound)),
      daemonToCpuBoundTarget: 0.8,
      linkProcessCpuToReaderPlusAppender: median(perRound.map((r) => r.linkProcessCpuToReaderPlusAppender)),
      linkProcessCpuToReaderPlusAppenderTarget: 1.3,
      workerReaderLinkProcessCpuToReaderPlusAppender:
        daemonWorker.cpu.linkProcess / (readWire.cpu.linkProcess + writeWireRate.cpu.linkProcess),
      workerReaderDaemonToCpuBound: daemonWorker.perSecond / cpuBound,
      daemonToLinkerStyle: daemon.perSecond / linker.perSecond,
      daemonToLinkerStyleTarget: 10,
    },
    rounds: rounds.map((r, i) => ({
      readCeilingLinkReader: { perSecond: r.b2.perSecond, cpu: r.b2.cpu },
      writeCeilingLinkAppender: { perSecond: r.c2.perSecond, cpu: r.c2.cpu },
      daemon: { perSecond: r.a.perSecond, cpu: r.a.cpu },
      ...perRound[i],
    })),
    tlsCost,
    peakRssMb: daemon.peakRssMb,
    rssBeforeDaemonMb: daemon.rssBeforeMb,
    bufferConfig: { ...daemon.options.buffer, lanes: daemon.options.lanes, batch: daemon.options.batch },
    liveLatencyMs: { seconds: LIVE_SECONDS, warmupSeconds: LIVE_WARMUP_SECONDS, phases: live },
    warmUpShare: WARMUP_SHARE,
  };

  const ok = (met: boolean) => (met ? 'OK' : 'BELOW');
  const rows: [string, string][] = [
    [
      `(a) daemon link (LinkerService, reads on its ${daemon.readerThread} thread), median`,
      `${fmt(daemon.perSecond)} ev/s   CPU ${cpuText(daemon.cpu)}`,
    ],
    [
      '(a-worker) the same, origin read on a worker thread',
      `${fmt(daemonWorker.perSecond)} ev/s   CPU ${cpuText(daemonWorker.cpu)}; ` +
        `${fmt(results.ratios.workerReaderDaemonToCpuBound, 2)} of the CPU bound, link process ` +
        `${fmt(results.ratios.workerReaderLinkProcessCpuToReaderPlusAppender, 2)} x (b2 + c2)`,
    ],
    [
      '(a-tls) daemon link over TLS (secure, admin)',
      `${fmt(daemonTls.perSecond)} ev/s   CPU ${cpuText(daemonTls.cpu)}`,
    ],
    [
      '  TLS cost against (a)',
      `${tlsCost.eventsPerSecondLost >= 0 ? `${fmt(tlsCost.eventsPerSecondLost)} ev/s fewer` : `${fmt(-tlsCost.eventsPerSecondLost)} ev/s more`} ` +
        `(TLS/plain ${fmt(tlsCost.throughputRatio, 2)}), ` +
        `${tlsCost.cpuMicrosPerEventAdded >= 0 ? '+' : ''}${fmt(tlsCost.cpuMicrosPerEventAdded, 1)} µs CPU/event (${fmt(tlsCost.cpuRatio, 2)}x)`,
    ],
    ['(b1) read ceiling, official client', `${fmt(readOfficial.perSecond)} ev/s   CPU ${cpuText(readOfficial.cpu)}`],
    ['(b2) read ceiling, link reader, median', `${fmt(readWire.perSecond)} ev/s   CPU ${cpuText(readWire.cpu)}`],
    [
      '(c1) write ceiling, official client',
      `${fmt(writeOfficialRate.perSecond)} ev/s   CPU ${cpuText(writeOfficialRate.cpu)}`,
    ],
    [
      '(c2) write ceiling, link appender, median',
      `${fmt(writeWireRate.perSecond)} ev/s   CPU ${cpuText(writeWireRate.cpu)}`,
    ],
    [`(d) Linker-style (read+append/event, ${LINKER_SUBSET})`, `${fmt(linker.perSecond)} ev/s`],
    [
      'daemon / min(b1, c1), official client  (target >= 0.70)',
      `${fmt(results.ratios.daemonToOfficialClientCeiling, 2)} ${ok(results.ratios.daemonToOfficialClientCeiling >= 0.7)}`,
    ],
    [
      'daemon / min(b2, c2), link reader/appender (target >= 0.70)',
      `${fmt(results.ratios.daemonToLinkClientCeiling, 2)} ${ok(results.ratios.daemonToLinkClientCeiling >= 0.7)}`,
    ],
    [
      `  bound for any link on ${cpus().length} shared cores`,
      `${fmt(cpuBound)} ev/s = ${fmt(results.ratios.cpuBoundToLinkClientCeiling, 2)} of min(b2, c2); daemon at ${fmt(results.ratios.daemonToCpuBound, 2)} of the bound`,
    ],
    [
      'daemon / CPU bound                     (target >= 0.80)',
      `${fmt(results.ratios.daemonToCpuBound, 2)} ${ok(results.ratios.daemonToCpuBound >= 0.8)} ` +
        `(median of ${REPEAT} rounds: ${perRound.map((r) => fmt(r.daemonToCpuBound, 2)).join(', ')})`,
    ],
    [
      'link process CPU / (b2 + c2 link process) (target <= 1.30)',
      `${fmt(results.ratios.linkProcessCpuToReaderPlusAppender, 2)} ${ok(results.ratios.linkProcessCpuToReaderPlusAppender <= 1.3)} ` +
        `(median of ${REPEAT} rounds: ${perRound.map((r) => fmt(r.linkProcessCpuToReaderPlusAppender, 2)).join(', ')}; ` +
        `medians ${fmt(daemon.cpu.linkProcess, 1)} / (${fmt(readWire.cpu.linkProcess, 1)} + ${fmt(writeWireRate.cpu.linkProcess, 1)}) µs/event)`,
    ],
    ...live.map((r): [string, string] => {
      const target = r.rate <= 1_000 ? 25 : r.rate <= 5_000 ? 50 : Infinity;
      return [
        `live lag p99 from the ack @ ${r.rate} ev/s${Number.isFinite(target) ? ` (target <= ${target} ms)` : ''}`,
        `${fmt(r.ackP99, 1)} ms${Number.isFinite(target) ? ` ${ok(r.ackP99 <= target)}` : ''}`,
      ];
    }),
    [
      'daemon / Linker-style                 (target >= 10x)',
      `${fmt(results.ratios.daemonToLinkerStyle, 1)}x ${ok(results.ratios.daemonToLinkerStyle >= 10)}`,
    ],
    [
      'peak RSS of the bench process during (a)',
      `${fmt(daemon.peakRssMb)} MiB, ${fmt(daemon.rssBeforeMb)} MiB before it (buffer ${daemon.options.buffer.maxEvents} ev / ${fmt(daemon.options.buffer.maxBytes / 2 ** 20)} MiB, ${daemon.options.lanes} lanes)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(
    `\nbench-link: ${EVENTS} events, ${STREAMS} streams, ${EVENT_BYTES} B JSON, ${results.machine.cpus} CPUs, Node ${process.version}, load ${results.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
  process.stdout.write(`${formatLive(live)}\n`);
  // The scaling table last, on emulators of its own (the ones above are idle by now).
  const scaling = scalingEnabled()
    ? await runScaling(logger, (row) => process.stderr.write(`  scaling row ${row.name}: done\n`))
    : [];
  if (scaling.length > 0)
    process.stdout.write(`\nscaling (same link code, one row per shape):\n${formatScaling(scaling)}\n`);
  await mkdir('test-output', { recursive: true });
  await writeFile('test-output/bench-link.json', `${JSON.stringify({ ...results, scaling }, null, 2)}\n`);
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
