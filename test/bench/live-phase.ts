/**
 * Live lag through a running link: a link from `origin` (which may hold a large log: the link catches up
 * first) to `destination`, then the live probe (its own process) at each rate, one after another on the
 * same link. Lag is measured from the origin's acknowledgement to the destination subscription's read.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { LinkerService } from '../../src/link/linker-service.js';
import { noopLinkMetrics } from '../../src/link/link-metrics.js';
import type { Logger } from 'pino';
import { linkOptions } from './bench-link-options.js';
import { settleHeap } from './settle-heap.js';

const PROBE = fileURLToPath(new URL('./live-probe.js', import.meta.url));

export interface LiveResult {
  rate: number;
  sent: number;
  samples: number;
  /** From the append call (includes the origin append). */
  p50: number;
  p99: number;
  max: number;
  /** From the origin's acknowledgement (the definition). */
  ackP50: number;
  ackP99: number;
  ackMax: number;
  originAppendP50: number;
  originAppendP99: number;
  /** Events the link replicated before the probe started (the catch-up). */
  caughtUpEvents: number;
  /** The batch tuner's size at the end of the phase (a size stuck near 1 makes a live link fall behind). */
  batchSize: number;
  /** Event-loop delay of the link's process during the phase, ms: a stall here is the link's own. */
  linkLoopDelayP99: number;
  linkLoopDelayMax: number;
  /** Seconds at the same rate before the measured ones, reported apart (see live-probe.ts). */
  warmupSeconds: number;
  warmupSent: number;
  warmupAckP99: number;
  /** From the ack, p99 of each measured second. */
  ackP99BySecond: (number | null)[];
}

export interface LiveNode {
  client: EventStoreDBClient;
  connectionString: string;
}

export async function liveLatencies(
  origin: LiveNode,
  destination: LiveNode,
  options: {
    rates: number[];
    seconds: number;
    /** Seconds at each rate before the measured ones (reported apart). */
    warmupSeconds: number;
    prefix: string;
    catchUpTo?: { commit: bigint; prepare: bigint };
    logger: Logger;
  },
): Promise<LiveResult[]> {
  const link = new LinkerService({
    options: linkOptions('bench-live'),
    origin: { name: 'origin', client: origin.client, connectionString: origin.connectionString },
    destination: { name: 'destination', client: destination.client },
    logger: options.logger.child({ link: 'bench-live' }),
    metrics: noopLinkMetrics,
  });
  // The bench process's garbage from the phases before is not the link's: collect it before the link starts
  // (what the link itself leaves during its catch-up stays, as it would in a daemon).
  settleHeap();
  await link.start();
  try {
    if (options.catchUpTo) await link.waitForPosition(options.catchUpTo);
    const caughtUpEvents = link.status().eventsReplicated;
    const results: LiveResult[] = [];
    for (const rate of options.rates) {
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const probe = spawn(
        process.execPath,
        [
          PROBE,
          origin.connectionString,
          destination.connectionString,
          String(rate),
          String(options.seconds),
          `${options.prefix}${rate}-`,
          String(options.warmupSeconds),
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      probe.stdout.setEncoding('utf8');
      probe.stdout.on('data', (chunk: string) => (out += chunk));
      const code = await new Promise<number | null>((resolve) => probe.once('exit', resolve));
      if (code !== 0) throw new Error(`live probe exited with ${code}`);
      loop.disable();
      const probed = JSON.parse(out) as Omit<
        LiveResult,
        'rate' | 'caughtUpEvents' | 'batchSize' | 'linkLoopDelayP99' | 'linkLoopDelayMax'
      >;
      results.push({
        rate,
        caughtUpEvents,
        batchSize: link.status().batchSize,
        linkLoopDelayP99: loop.percentile(99) / 1e6,
        linkLoopDelayMax: loop.max / 1e6,
        ...probed,
      });
    }
    return results;
  } finally {
    await link.stop({ graceMs: 5_000 });
  }
}
