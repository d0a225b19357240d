import { randomUUID } from 'node:crypto';
import { checkCommit, type StreamView } from './check-commit.js';
import type { Journal } from './journal.js';
import { LogColumns } from './log-columns.js';
import { RecentIds } from './recent-ids.js';
import { baseStreamOf, isMetastream, metastreamOf, StreamEntry } from './stream-index.js';
import { EMPTY_METADATA, isSoftDeleted, withTruncateBefore, type StreamMetadata } from './stream-metadata.js';
import {
  MAX_LONG,
  NO_STREAM,
  type EventRecord,
  type ExpectedRevision,
  type ProposedEvent,
  type WriteResult,
} from './types.js';

/**
 * Where the first record goes: never 0, because `Position.Start` is (0,0) and subscriptions are exclusive.
 * DEVIATION (documented): the log starts empty, with no epoch/system records before it.
 */
export const FIRST_POSITION = 128;
/** DEVIATION (documented): positions are synthetic byte offsets, each record's payload plus this overhead. */
const RECORD_OVERHEAD = 96;
/** Metastreams keep only their latest event visible, as on the real server (implicit `$maxCount: 1`). */
const METASTREAM_MAX_COUNT = 1;

export interface EventStoreOptions {
  journal: Journal;
  now: () => number;
  recentIdsCapacity?: number;
}

/**
 * The emulator's database: one global log (columns ordered by position) plus an index per stream. All
 * mutations are synchronous, so every expected-version check and its write are atomic.
 * DEVIATION (documented): the whole log is kept in memory; no system projections, no scavenge.
 */
export class EventStore {
  readonly log = new LogColumns();
  private readonly streams = new Map<string, StreamEntry>();
  private readonly recent: RecentIds;
  private nextPosition = FIRST_POSITION;
  private waiters: (() => void)[] = [];

  constructor(private readonly options: EventStoreOptions) {
    this.recent = new RecentIds(options.recentIdsCapacity ?? 100_000, (index) => {
      const revision = this.log.revisionAt(index);
      return {
        streamId: this.log.streamIdAt(index),
        revision: revision < 0 ? MAX_LONG : BigInt(revision),
        position: this.log.positionAt(index),
      };
    });
  }

  /** Loads recovered records (persistence) without journaling them again. */
  load(records: readonly EventRecord[]): void {
    for (const r of records) this.apply(r);
  }

  get lastPosition(): number | undefined {
    const n = this.log.length;
    return n === 0 ? undefined : this.log.positionAt(n - 1);
  }

  stream(streamId: string): StreamEntry | undefined {
    return this.streams.get(streamId);
  }

  isTombstoned(streamId: string): boolean {
    const base = isMetastream(streamId) ? baseStreamOf(streamId) : streamId;
    return this.streams.get(base)?.tombstone !== undefined || this.streams.get(streamId)?.tombstone !== undefined;
  }

  metadataOf(streamId: string): StreamMetadata {
    if (isMetastream(streamId)) return { maxCount: METASTREAM_MAX_COUNT };
    return this.streams.get(metastreamOf(streamId))?.parsedMetadata() ?? EMPTY_METADATA;
  }

  /** Index of the first log record at or after `position` (log.length when none). */
  indexAtOrAfter(position: number): number {
    return this.log.indexAtOrAfter(position);
  }

  /** Resolves on the next commit (or when `signal` aborts). */
  waitForCommit(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const done = (): void => {
        signal.removeEventListener('abort', done);
        resolve();
      };
      signal.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }

  append(streamId: string, expected: ExpectedRevision, events: readonly ProposedEvent[]): WriteResult {
    const view = this.view(streamId);
    const decision = checkCommit(
      view,
      expected,
      events.map((e) => e.eventId),
      this.recent,
    );
    switch (decision.kind) {
      case 'deleted':
        return { kind: 'stream_deleted' };
      case 'wrong_expected_version':
        return { kind: 'wrong_expected_version', currentRevision: view.currentRevision };
      // DEVIATION (documented): an idempotent retry answers with the matched range's last revision and position.
      case 'idempotent':
        return { kind: 'success', currentRevision: decision.lastRevision, position: decision.position };
      case 'write':
        break;
    }
    const records: EventRecord[] = [];
    const now = this.options.now();
    let revision = view.currentRevision;
    for (const e of events) {
      revision += 1n;
      records.push(this.makeRecord(streamId, revision, e, now, records));
    }
    const lastEvent = records[records.length - 1];
    // Like the real server's writer: after the events, a write to a soft-deleted stream rewrites its metadata
    // with `$tb` = old last + 1 (other keys kept), and a metadata write to a soft-deleted stream's metastream
    // gets the same treatment, so the old events stay hidden.
    if (decision.softDeleted) {
      const raw = this.streams.get(metastreamOf(streamId))?.last()?.data;
      this.pushUndelete(streamId, raw, view.currentRevision + 1n, now, records);
    } else if (isMetastream(streamId) && lastEvent !== undefined) {
      const base = baseStreamOf(streamId);
      if (isSoftDeleted(this.metadataOf(base))) {
        this.pushUndelete(base, lastEvent.data, this.lastRevisionOf(base) + 1n, now, records);
      }
    }
    // DEVIATION (documented): an empty append writes no record and answers no_position.
    if (records.length > 0) this.commit(records);
    return { kind: 'success', currentRevision: revision, position: lastEvent?.position };
  }

  softDelete(streamId: string, expected: ExpectedRevision): WriteResult {
    const view = this.view(streamId);
    // The real server checks a delete as a one-event commit with a fresh id.
    const decision = checkCommit(view, expected, [randomUUID()], this.recent);
    if (decision.kind === 'deleted') return { kind: 'stream_deleted' };
    if (decision.kind === 'wrong_expected_version') {
      return { kind: 'wrong_expected_version', currentRevision: view.currentRevision };
    }
    const meta = metastreamOf(streamId);
    // Nothing to delete: no events and no metadata is a wrong expected version (no stream) on the real server.
    if (view.currentRevision < 0n && this.lastRevisionOf(meta) < 0n) {
      return { kind: 'wrong_expected_version', currentRevision: NO_STREAM };
    }
    // The real server writes a fresh `{"$tb":long.MaxValue}`: the stream's other metadata keys are dropped.
    const record = this.makeRecord(
      meta,
      this.lastRevisionOf(meta) + 1n,
      metadataEvent(Buffer.from(`{"$tb":${MAX_LONG}}`)),
      this.options.now(),
      [],
    );
    this.commit([record]);
    return { kind: 'success', currentRevision: view.currentRevision, position: record.position };
  }

  tombstone(streamId: string, expected: ExpectedRevision): WriteResult {
    const view = this.view(streamId);
    const decision = checkCommit(view, expected, [randomUUID()], this.recent);
    if (decision.kind === 'deleted') return { kind: 'stream_deleted' };
    if (decision.kind === 'wrong_expected_version') {
      return { kind: 'wrong_expected_version', currentRevision: view.currentRevision };
    }
    const record = this.makeRecord(
      streamId,
      MAX_LONG,
      {
        eventId: randomUUID(),
        eventType: '$streamDeleted',
        contentType: 'application/octet-stream',
        data: Buffer.alloc(0),
        metadata: Buffer.alloc(0),
      },
      this.options.now(),
      [],
    );
    this.commit([record]);
    return { kind: 'success', currentRevision: view.currentRevision, position: record.position };
  }

  private view(streamId: string): StreamView {
    const entry = this.streams.get(streamId);
    const meta = isMetastream(streamId) ? undefined : this.streams.get(metastreamOf(streamId));
    return {
      streamId,
      currentRevision: entry === undefined ? NO_STREAM : entry.lastRevision,
      tombstoned: this.isTombstoned(streamId),
      softDeleted: meta !== undefined && isSoftDeleted(meta.parsedMetadata()),
      hasMetadataStream: meta !== undefined && meta.count > 0,
      eventIdAt: (revision) => entry?.eventIdAt(revision),
      positionAt: (revision) => entry?.positionAt(revision),
    };
  }

  private lastRevisionOf(streamId: string): bigint {
    return this.streams.get(streamId)?.lastRevision ?? NO_STREAM;
  }

  /** Appends an undelete `$metadata` (raw metadata with `$tb` = `tb`) to `records`; skipped when raw is not a JSON object. */
  private pushUndelete(
    streamId: string,
    raw: Buffer | undefined,
    tb: bigint,
    now: number,
    records: EventRecord[],
  ): void {
    const data = raw === undefined ? undefined : withTruncateBefore(raw, tb);
    if (data === undefined) return;
    const meta = metastreamOf(streamId);
    const pendingInMeta = records.filter((r) => r.streamId === meta).length;
    records.push(
      this.makeRecord(meta, this.lastRevisionOf(meta) + 1n + BigInt(pendingInMeta), metadataEvent(data), now, records),
    );
  }

  private makeRecord(
    streamId: string,
    revision: bigint,
    e: ProposedEvent,
    now: number,
    pending: readonly EventRecord[],
  ): EventRecord {
    const last = pending[pending.length - 1];
    const position =
      last === undefined ? this.nextPosition : last.position + recordSize(last.streamId, last.eventType, last);
    return {
      position,
      streamId,
      revision,
      eventId: e.eventId,
      eventType: e.eventType,
      contentType: e.contentType,
      created: now,
      data: e.data,
      metadata: e.metadata,
    };
  }

  /** Journal first (so an acknowledged write is on disk), then make it visible and wake subscribers. */
  private commit(records: readonly EventRecord[]): void {
    this.options.journal.write(records);
    for (const r of records) this.apply(r);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private apply(r: EventRecord): void {
    const index = this.log.push(r);
    this.nextPosition = r.position + recordSize(r.streamId, r.eventType, r);
    let entry = this.streams.get(r.streamId);
    if (entry === undefined) {
      entry = new StreamEntry(r.streamId, this.log);
      this.streams.set(r.streamId, entry);
    }
    if (r.revision === MAX_LONG) {
      entry.tombstone = r;
      return;
    }
    entry.push(index);
    this.recent.add(r.eventId, index);
  }
}

function metadataEvent(data: Buffer): ProposedEvent {
  return {
    eventId: randomUUID(),
    eventType: '$metadata',
    contentType: 'application/json',
    data,
    metadata: Buffer.alloc(0),
  };
}

function recordSize(streamId: string, eventType: string, r: { data: Buffer; metadata: Buffer }): number {
  return RECORD_OVERHEAD + streamId.length * 2 + eventType.length * 2 + r.data.length + r.metadata.length;
}
