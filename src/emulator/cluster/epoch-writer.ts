import { randomUUID } from 'node:crypto';
import type { EventStore } from '../store/event-store.js';

export const EPOCH_STREAM = '$epoch-information';

/** The epoch number the next leader takes: one past the last recorded (the log may come from a data dir). */
export function nextEpochNumber(store: EventStore): number {
  const last = store.stream(EPOCH_STREAM)?.last();
  if (last === undefined) return 0;
  try {
    const parsed = JSON.parse(last.data.toString('utf8')) as { epochNumber?: unknown };
    return typeof parsed.epochNumber === 'number' ? parsed.epochNumber + 1 : 0;
  } catch {
    return 0;
  }
}

/**
 * What a new leader writes before serving, as the real server's EpochManager does: one `$epoch-information`
 * event in the stream of that name. DEVIATION (documented): no separate epoch record precedes it in the log,
 * and the payload carries the number, position, id and leader only.
 */
export function writeEpoch(store: EventStore, leaderInstanceId: string): number {
  const epochNumber = nextEpochNumber(store);
  const data = {
    epochNumber,
    epochPosition: store.lastPosition ?? 0,
    epochId: randomUUID(),
    leaderInstanceId,
  };
  store.append(EPOCH_STREAM, { kind: 'any' }, [
    {
      eventId: randomUUID(),
      eventType: EPOCH_STREAM,
      contentType: 'application/json',
      data: Buffer.from(JSON.stringify(data), 'utf8'),
      metadata: Buffer.alloc(0),
    },
  ]);
  return epochNumber;
}
