import type { EventStore } from './event-store.js';
import type { StreamEntry } from './stream-index.js';
import { isSoftDeleted } from './stream-metadata.js';
import type { EventRecord } from './types.js';

export type StreamReadability =
  | { kind: 'deleted' }
  | { kind: 'not_found' }
  | { kind: 'readable'; entry: StreamEntry; firstVisible: number; maxAgeCutoffMs: number | undefined };

/**
 * Which of a stream's events stream reads may return: `$tb`, `$maxCount` and `$maxAge` hide events at once
 * (they stay in `$all`, as on the real server until a scavenge). A soft-deleted or empty stream reads as
 * not found; a tombstoned one as deleted.
 */
export function streamReadability(store: EventStore, streamId: string, nowMs: number): StreamReadability {
  if (store.isTombstoned(streamId)) return { kind: 'deleted' };
  const entry = store.stream(streamId);
  const meta = store.metadataOf(streamId);
  if (entry === undefined || entry.count === 0 || isSoftDeleted(meta)) return { kind: 'not_found' };
  let firstVisible = 0;
  if (meta.truncateBefore !== undefined) {
    firstVisible = Math.max(
      firstVisible,
      Number(meta.truncateBefore > BigInt(entry.count) ? BigInt(entry.count) : meta.truncateBefore),
    );
  }
  if (meta.maxCount !== undefined) firstVisible = Math.max(firstVisible, entry.count - meta.maxCount);
  return {
    kind: 'readable',
    entry,
    firstVisible,
    maxAgeCutoffMs: meta.maxAge === undefined ? undefined : nowMs - meta.maxAge * 1000,
  };
}

export function isVisible(r: StreamReadability & { kind: 'readable' }, record: EventRecord): boolean {
  return r.maxAgeCutoffMs === undefined || record.created >= r.maxAgeCutoffMs;
}

/** The event a `$>` link points at, when it exists and stream reads could see it. DEVIATION (documented): `$>` only. */
export function resolveLink(store: EventStore, link: EventRecord, nowMs: number): EventRecord | undefined {
  if (link.eventType !== '$>') return undefined;
  const text = link.data.toString('utf8');
  const at = text.indexOf('@');
  if (at <= 0) return undefined;
  const revText = text.slice(0, at);
  if (!/^\d+$/.test(revText)) return undefined;
  const target = text.slice(at + 1);
  const readable = streamReadability(store, target, nowMs);
  if (readable.kind !== 'readable') return undefined;
  const revision = Number(revText);
  if (revision < readable.firstVisible) return undefined;
  const record = readable.entry.recordAt(revision);
  return record !== undefined && isVisible(readable, record) ? record : undefined;
}
