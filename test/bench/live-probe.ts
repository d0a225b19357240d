/**
 * The live-latency load generator and observer of bench-link, run in its own process so its client work
 * (encoding the appends, decoding the destination subscription) does not share the link's event loop.
 *
 *   node dist/test/bench/live-probe.js ORIGIN_CS DESTINATION_CS RATE SECONDS PREFIX
 *
 * Appends RATE events/s to the origin (10 ms ticks, each event stamped with `sentAt`), reads them back
 * from a destination subscription, and prints one JSON line: latency percentiles (ms) from the origin's
 * acknowledgement to the destination read (`ackP50`..; the definition; an event read before this
 * process saw its ack counts 0), from the append call (`p50`..), and the origin append latency alone.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { END, EventStoreDBClient, jsonEvent, streamNameFilter } from '@eventstore/db-client';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const [originCs, destinationCs, rateText, secondsText, prefix] = process.argv.slice(2);
  if (!originCs || !destinationCs || !rateText || !secondsText || !prefix) {
    throw new Error('usage: live-probe ORIGIN_CS DESTINATION_CS RATE SECONDS PREFIX');
  }
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  const origin = EventStoreDBClient.connectionString(originCs);
  const destination = EventStoreDBClient.connectionString(destinationCs);
  const now = (): number => performance.timeOrigin + performance.now();
  const latencies: number[] = [];
  const appendLatencies: number[] = [];
  const ackedAt = new Map<string, number>();
  const arrivedAt = new Map<string, number>();
  const sub = destination.subscribeToAll({ fromPosition: END, filter: streamNameFilter({ prefixes: [prefix] }) });
  sub.on('data', (e) => {
    const data = e.event?.data as { sentAt?: number } | undefined;
    if (data && typeof data.sentAt === 'number') {
      const at = now();
      latencies.push(at - data.sentAt);
      if (e.event) arrivedAt.set(e.event.id, at);
    }
  });
  // Connect to the origin before the clock starts: otherwise the first appends wait for the channel and the
  // client's server-features call, and a fixed start-up cost shows up as the p99 of a short run.
  await origin.appendToStream(`warmup-${prefix}`, jsonEvent({ type: 'Warmup', data: {} }));
  await delay(500);
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const ticks = Math.round((seconds * 1000) / tickMs);
  const started = performance.now();
  const inflight: Promise<unknown>[] = [];
  let sent = 0;
  for (let t = 0; t < ticks; t++) {
    const wait = started + t * tickMs - performance.now();
    if (wait > 0) await delay(wait);
    const events = Array.from({ length: perTick }, (_, k) =>
      jsonEvent({ id: randomUUID(), type: 'LiveEvent', data: { sentAt: now(), k } }),
    );
    sent += events.length;
    const t0 = performance.now();
    inflight.push(
      origin.appendToStream(`${prefix}${t % 50}`, events).then(() => {
        appendLatencies.push(performance.now() - t0);
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
  for (const [id, arrived] of arrivedAt) {
    const acked = ackedAt.get(id);
    if (acked !== undefined) fromAck.push(Math.max(0, arrived - acked));
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
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`live-probe failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
