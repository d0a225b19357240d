/**
 * Live lag after a large catch-up, on its own (bench-link runs the same phase in its full run):
 * an origin pre-filled with BENCH_LIVE_CATCHUP events (default 100,000, 200 B, runs of 10 over 1,000
 * streams), a link that catches up to a fresh destination, then the live probe at BENCH_LIVE_RATES
 * (default "1000,5000") events/s for BENCH_LIVE_SECONDS (default 10) each.
 *
 *   npm run build && node dist/test/bench/bench-live.js
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import PQueue from 'p-queue';
import { installRawBytes } from '../../src/client/raw-bytes.js';
import { createLogger } from '../../src/observability/logger.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { liveLatencies, type LiveResult } from './live-phase.js';

const CATCHUP = Number(process.env.BENCH_LIVE_CATCHUP ?? 100_000);
const RATES = (process.env.BENCH_LIVE_RATES ?? '1000,5000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
/** Seconds at each rate before the measured ones: a new rate's start-up is reported apart (live-probe.ts). */
export const LIVE_WARMUP_SECONDS = Number(process.env.BENCH_LIVE_WARMUP ?? 3);
const STREAMS = 1_000;
const RUN = 10;

async function prefill(client: EventStoreDBClient, total: number): Promise<{ commit: bigint; prepare: bigint }> {
  const queue = new PQueue({ concurrency: 16 });
  const data = { pad: 'x'.repeat(180) };
  let last = { commit: 0n, prepare: 0n };
  for (let written = 0, i = 0; written < total; i++) {
    const count = Math.min(RUN, total - written);
    written += count;
    await queue.onSizeLessThan(32);
    void queue.add(async () => {
      const events = Array.from({ length: count }, () => jsonEvent({ type: 'Prefill', data }));
      const r = await client.appendToStream(`prefill-${i % STREAMS}`, events);
      if (r.position && r.position.commit > last.commit) last = r.position;
    });
  }
  await queue.onIdle();
  return last;
}

export function formatLive(results: LiveResult[]): string {
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
  return results
    .map(
      (r) =>
        `live @ ${r.rate} ev/s after a ${r.caughtUpEvents}-event catch-up: from origin ack p50 ${f(r.ackP50)} / p99 ${f(r.ackP99)} / max ${f(r.ackMax)} ms; ` +
        `from the append call p99 ${f(r.p99)} ms; origin append alone p99 ${f(r.originAppendP99)} ms (${r.samples}/${r.sent} events; batch size ${r.batchSize}; ` +
        `link event-loop delay p99 ${f(r.linkLoopDelayP99)} / max ${f(r.linkLoopDelayMax)} ms)\n` +
        `  p99 per measured second: ${r.ackP99BySecond.map((v) => (v === null ? '-' : f(v))).join(' ')} ms; ` +
        `the ${r.warmupSeconds} s before them at the same rate (not measured): p99 ${f(r.warmupAckP99)} ms`,
    )
    .join('\n');
}

async function main(): Promise<void> {
  const emulators: EmulatorProcess[] = [];
  const clients: EventStoreDBClient[] = [];
  try {
    for (let i = 0; i < 2; i++) emulators.push(await startEmulatorProcess());
    const [o, d] = emulators.map((e) => {
      const client = EventStoreDBClient.connectionString(e.connectionString);
      clients.push(client);
      return { client, connectionString: e.connectionString };
    }) as [
      { client: EventStoreDBClient; connectionString: string },
      { client: EventStoreDBClient; connectionString: string },
    ];
    const last = CATCHUP > 0 ? await prefill(o.client, CATCHUP) : undefined;
    installRawBytes();
    const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', format: 'json', destination: 2 });
    const results = await liveLatencies(o, d, {
      rates: RATES,
      seconds: SECONDS,
      warmupSeconds: LIVE_WARMUP_SECONDS,
      prefix: `live-${randomUUID().slice(0, 8)}-`,
      catchUpTo: last,
      logger,
    });
    process.stdout.write(
      `load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n${formatLive(results)}\n`,
    );
  } finally {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await Promise.allSettled(emulators.map((e) => e.stop()));
  }
}

if (process.argv[1]?.endsWith('bench-live.js')) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench-live failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
