/**
 * Memory under a stalled destination (issue 13, point 5): links whose destination stops answering (its
 * process is stopped with SIGSTOP: connections stay up, nothing is acknowledged) fill their read buffers
 * and must then hold still. Reports this process's RSS before the links start and its peak while they are
 * stalled, against the bytes the links report buffered, for 1 link and for BENCH_STALLED_LINKS (default 16)
 * links in one process, all reading one origin of BENCH_STALLED_EVENTS (default 40,000) 1 KiB events.
 *
 *   npm run build && node dist/test/bench/bench-stalled.js
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import PQueue from 'p-queue';
import { installRawBytes } from '../../src/client/raw-bytes.js';
import { LinkerService } from '../../src/link/linker-service.js';
import { noopLinkMetrics } from '../../src/link/link-metrics.js';
import { createLogger } from '../../src/observability/logger.js';
import { linkOptions } from './bench-link-options.js';
import { startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';

const EVENTS = Number(process.env.BENCH_STALLED_EVENTS ?? 40_000);
const MANY = Number(process.env.BENCH_STALLED_LINKS ?? 16);
const EVENT_BYTES = 1024;
const MiB = 2 ** 20;

interface StalledResult {
  links: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  bufferedEvents: number;
  bufferedMiB: number;
  configuredMaxMiBPerLink: number;
  overheadMiBPerLink: number;
}

async function prefill(client: EventStoreDBClient): Promise<void> {
  const queue = new PQueue({ concurrency: 16 });
  const data = { pad: 'x'.repeat(EVENT_BYTES - 10) };
  for (let i = 0; i * 10 < EVENTS; i++) {
    await queue.onSizeLessThan(32);
    void queue.add(() =>
      client.appendToStream(
        `stalled-${i % 1_000}`,
        Array.from({ length: 10 }, () => jsonEvent({ type: 'Stalled', data })),
      ),
    );
  }
  await queue.onIdle();
}

async function stalled(
  origin: { client: EventStoreDBClient; connectionString: string },
  links: number,
  logger: ReturnType<typeof createLogger>,
): Promise<StalledResult> {
  const destination = await startEmulatorProcess();
  const destinationClient = EventStoreDBClient.connectionString(destination.connectionString);
  const started: LinkerService[] = [];
  try {
    // Reach the destination once (the links read their checkpoints at start), then stop it answering.
    for await (const _ of destinationClient.readAll({ maxCount: 1 })) void _;
    const rssBefore = process.memoryUsage.rss();
    for (let i = 0; i < links; i++) {
      const link = new LinkerService({
        options: linkOptions(`stalled-${i}`, { streamPrefix: `l${i}-` }),
        origin: { name: 'origin', client: origin.client, connectionString: origin.connectionString },
        destination: { name: 'destination', client: destinationClient },
        logger: logger.child({ link: `stalled-${i}` }),
        metrics: noopLinkMetrics,
      });
      started.push(link);
    }
    await Promise.all(started.map((l) => l.start()));
    process.kill(destination.pid, 'SIGSTOP');
    let peak = rssBefore;
    const full = (l: LinkerService): boolean => {
      const b = l.status().buffer;
      return b.events >= b.maxEvents * 0.95 || b.bytes >= b.maxBytes * 0.95;
    };
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !started.every(full)) {
      peak = Math.max(peak, process.memoryUsage.rss());
      await sleep(100);
    }
    // Then hold: a stalled link must not grow any further.
    for (let i = 0; i < 30; i++) {
      peak = Math.max(peak, process.memoryUsage.rss());
      await sleep(100);
    }
    const buffers = started.map((l) => l.status().buffer);
    const bufferedBytes = buffers.reduce((n, b) => n + b.bytes, 0);
    const first = buffers[0]!;
    return {
      links,
      rssBeforeMiB: rssBefore / MiB,
      peakRssMiB: peak / MiB,
      bufferedEvents: buffers.reduce((n, b) => n + b.events, 0),
      bufferedMiB: bufferedBytes / MiB,
      configuredMaxMiBPerLink: Math.min(first.maxBytes, first.maxEvents * EVENT_BYTES) / MiB,
      overheadMiBPerLink: (peak - rssBefore - bufferedBytes) / MiB / links,
    };
  } finally {
    process.kill(destination.pid, 'SIGCONT');
    await Promise.allSettled(started.map((l) => l.stop({ graceMs: 1_000 })));
    await destinationClient.dispose().catch(() => undefined);
    await destination.stop();
  }
}

async function main(): Promise<void> {
  const emulators: EmulatorProcess[] = [];
  let originClient: EventStoreDBClient | undefined;
  try {
    const origin = await startEmulatorProcess();
    emulators.push(origin);
    originClient = EventStoreDBClient.connectionString(origin.connectionString);
    await prefill(originClient);
    installRawBytes();
    const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'error', format: 'json', destination: 2 });
    const node = { client: originClient, connectionString: origin.connectionString };
    const results = [await stalled(node, 1, logger), await stalled(node, MANY, logger)];
    process.stdout.write(
      `stalled destination (load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}), ${EVENTS} origin events of ${EVENT_BYTES} B\n`,
    );
    for (const r of results) {
      process.stdout.write(
        `  ${r.links} link(s): RSS ${r.rssBeforeMiB.toFixed(0)} -> peak ${r.peakRssMiB.toFixed(0)} MiB; buffered ${r.bufferedEvents} events = ${r.bufferedMiB.toFixed(1)} MiB ` +
          `(bound ${r.configuredMaxMiBPerLink.toFixed(1)} MiB per link); overhead beyond the buffers ${r.overheadMiBPerLink.toFixed(1)} MiB per link\n`,
      );
    }
  } finally {
    await originClient?.dispose().catch(() => undefined);
    await Promise.allSettled(emulators.map((e) => e.stop()));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-stalled failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
