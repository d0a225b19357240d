/**
 * The live-latency load generator and observer of bench-link, run in its own process so its client work
 * (encoding the appends, decoding the destination subscription) does not share the link's event loop.
 *
 *   node dist/test/bench/live-probe.js ORIGIN_CS DESTINATION_CS RATE SECONDS PREFIX [WARMUP_SECONDS]
 *
 * The first WARMUP_SECONDS (default 0) run at the same rate but are reported apart (`warmupAckP99`): a
 * new rate starts with cold code in this process and in the servers' and link's live paths (JIT, buffers,
 * the batch tuner), and that start-up, not the steady state, would otherwise be the p99 of a short run.
 * `ackP99BySecond` gives the measured seconds one by one, so a stall shows where it happened.
 *
 * Appends RATE events/s to the origin (10 ms ticks, one append per tick), reads them back
 * from a destination subscription, and prints one JSON line: latency percentiles (ms) from the origin's
 * acknowledgement to the destination read (`ackP50`..; the issue's definition; an event read before this
 * process saw its ack counts 0), from the append call (`p50`..), and the origin append latency alone.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { ANY, EventStoreDBClient } from '@eventstore/db-client';
import { subscribeRawToAll } from '../../src/client/raw-all-subscription.js';
import { RawAppender } from '../../src/client/raw-appender.js';
import type { RawEventInput } from '../../src/client/raw-bytes.js';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const [originCs, destinationCs, rateText, secondsText, prefix, warmupText] = process.argv.slice(2);
  if (!originCs || !destinationCs || !rateText || !secondsText || !prefix) {
    throw new Error('usage: live-probe ORIGIN_CS DESTINATION_CS RATE SECONDS PREFIX');
  }
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  const warmupSeconds = Number(warmupText ?? 0);
  const origin = EventStoreDBClient.connectionString(originCs);
  const destination = EventStoreDBClient.connectionString(destinationCs);
  const now = (): number => performance.timeOrigin + performance.now();
  const latencies: number[] = [];
  const appendLatencies: number[] = [];
  const ackedAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>();
  /** Ids sent during the warm-up, and each measured event's second of the run (from its send time). */
  const warmIds = new Set<string>();
  const secondOf = new Map<string, number>();
  /** When each measured event was handed to the append call (the `p50`.. figures start there). */
  const sentAt = new Map<string, number>();
  let subscribed!: () => void;
  const confirmed = new Promise<void>((resolve) => (subscribed = resolve));
  // The link's own hand-decoded subscription and appender: the stock client's protobuf code costs several
  // times the CPU per event, and at 5,000 events/s this observer would take a large share of the two cores
  // from the link and the servers it measures.
  const sub = subscribeRawToAll(
    destination,
    { from: 'end', filter: { on: 'stream-name', prefixes: [prefix], checkpointInterval: 1 } },
    {
      onEvent: (e) => {
        const at = now();
        arrivedAt.set(e.id, at);
        const sent = sentAt.get(e.id);
        if (sent !== undefined) latencies.push(at - sent);
      },
      onCheckpoint: () => undefined,
      onCaughtUp: () => undefined,
      onConfirmation: () => subscribed(),
      onError: (err) => {
        process.stderr.write(`live-probe: destination subscription failed: ${err.message}\n`);
        process.exit(1);
      },
      onEnd: () => undefined,
    },
  );
  const appender = new RawAppender(origin);
  const liveEvent = (): RawEventInput => ({
    id: randomUUID(),
    type: 'LiveEvent',
    contentType: 'application/json',
    data: Buffer.from('{"probe":true}'),
  });
  // Connect to the origin before the clock starts: otherwise the first appends wait for the channel and the
  // client's server-features call, and a fixed start-up cost shows up as the p99 of a short run.
  await appender.append(`warmup-${prefix}`, [liveEvent()], { expectedRevision: ANY });
  await Promise.race([confirmed, delay(5_000)]);
  await delay(500);
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const warmTicks = Math.round((warmupSeconds * 1000) / tickMs);
  const ticks = warmTicks + Math.round((seconds * 1000) / tickMs);
  const started = performance.now();
  const inflight: Promise<unknown>[] = [];
  let sent = 0;
  let sentWarm = 0;
  for (let t = 0; t < ticks; t++) {
    const wait = started + t * tickMs - performance.now();
    if (wait > 0) await delay(wait);
    const warm = t < warmTicks;
    const second = Math.floor(((t - warmTicks) * tickMs) / 1000);
    const events = Array.from({ length: perTick }, liveEvent);
    const at = now();
    for (const e of events) {
      if (warm) warmIds.add(e.id);
      else {
        secondOf.set(e.id, second);
        sentAt.set(e.id, at);
      }
    }
    if (warm) sentWarm += events.length;
    else sent += events.length;
    const t0 = performance.now();
    inflight.push(
      appender.append(`${prefix}${t % 50}`, events, { expectedRevision: ANY }).then(() => {
        if (!warm) appendLatencies.push(performance.now() - t0);
        const at = now();
        for (const e of events) ackedAt.set(e.id, at);
      }),
    );
  }
  await Promise.all(inflight);
  const deadline = Date.now() + 30_000;
  while (latencies.length < sent && Date.now() < deadline) await delay(50);
  await sub.unsubscribe().catch(() => undefined);
  const fromAck: number[] = [];
  const warmFromAck: number[] = [];
  const bySecond: number[][] = [];
  for (const [id, arrived] of arrivedAt) {
    const acked = ackedAt.get(id);
    if (acked === undefined) continue;
    const lag = Math.max(0, arrived - acked);
    if (warmIds.has(id)) warmFromAck.push(lag);
    else {
      fromAck.push(lag);
      (bySecond[secondOf.get(id) ?? 0] ??= []).push(lag);
    }
  }
  await Promise.allSettled([origin.dispose(), destination.dispose()]);
  process.stdout.write(
    `${JSON.stringify({
      sent,
      samples: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
      ackP50: percentile(fromAck, 50),
      ackP99: percentile(fromAck, 99),
      ackMax: percentile(fromAck, 100),
      originAppendP50: percentile(appendLatencies, 50),
      originAppendP99: percentile(appendLatencies, 99),
      warmupSeconds,
      warmupSent: sentWarm,
      warmupAckP99: percentile(warmFromAck, 99),
      ackP99BySecond: Array.from(bySecond, (lags) => (lags ? Number(percentile(lags, 99).toFixed(1)) : null)),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`live-probe failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
