import { randomUUID } from 'node:crypto';
import type { EventStoreDBClient, Position } from '@eventstore/db-client';
import { rawEvent } from '../../src/client/raw-bytes.js';
import type { SeededRandom } from '../helpers/seeded-random.js';

/** An append the server acknowledged: it must be on its origin, and every replica, at the end. */
export interface AckedAppend {
  node: string;
  stream: string;
  ids: string[];
  position: Position | undefined;
  atMs: number;
}

export interface WriterStats {
  acked: AckedAppend[];
  ackedEvents: number;
  /** Appends that failed (outcome unknown: they may have landed; the verification reads what is there). */
  failed: number;
}

const encoder = new TextEncoder();

/**
 * Appends batches of 1-5 small JSON events (metadata names the writer) to random streams of one node until
 * aborted, pausing `pauseMs` between appends. Failed appends are not retried: a failure is ambiguous (the
 * events may have landed), and the final verification compares what the nodes hold.
 */
export async function runChaosWriter(options: {
  node: string;
  client: EventStoreDBClient;
  streams: readonly string[];
  random: SeededRandom;
  pauseMs: number;
  signal: AbortSignal;
  sleep(ms: number): Promise<void>;
  /** Called with every acknowledged append as it happens. */
  onAck?: (append: AckedAppend) => void;
}): Promise<WriterStats> {
  const stats: WriterStats = { acked: [], ackedEvents: 0, failed: 0 };
  const { random, signal } = options;
  let seq = 0;
  while (!signal.aborted && options.streams.length > 0) {
    const stream = random.pick(options.streams);
    const ids = Array.from({ length: random.between(1, 5) }, () => randomUUID());
    const events = ids.map((id) =>
      rawEvent({
        id,
        type: random.pick(['Changed', 'Created', 'Noted']),
        contentType: 'application/json',
        data: encoder.encode(JSON.stringify({ seq: seq++, pad: 'p'.repeat(random.between(10, 400)) })),
        metadata: encoder.encode(JSON.stringify({ writer: options.node })),
      }),
    );
    try {
      const result = await options.client.appendToStream(stream, events, { deadline: 5_000 });
      const append = { node: options.node, stream, ids, position: result.position, atMs: Date.now() };
      stats.acked.push(append);
      options.onAck?.(append);
      stats.ackedEvents += ids.length;
    } catch {
      stats.failed++;
      await options.sleep(100);
    }
    await options.sleep(options.pauseMs);
  }
  return stats;
}
