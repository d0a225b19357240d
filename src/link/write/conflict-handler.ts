import { ANY } from '@eventstore/db-client';
import type { Logger } from 'pino';
import type { RawAppender } from '../../client/raw-appender.js';
import { LinkerError } from '../../shared/errors.js';
import { conflictStreamName, type ConflictDetails } from '../bookkeeping.js';
import { withStringKeys } from '../filter/annotations.js';
import { deterministicUuid } from './deterministic-id.js';
import { tagAccessAttempt } from '../recovery/access-errors.js';
import { errorKind } from '../recovery/error-kinds.js';
import type { DestinationReader } from './destination-reader.js';
import type { ConflictPolicy } from '../link-options.js';
import type { StreamOffsets } from './stream-offsets.js';
import type { WorkItem } from '../route/work-item.js';

/** Why an event could not take its place in the destination stream. */
export interface ConflictCause {
  reason: 'conflict' | 'too-large' | 'stream-deleted' | 'refused';
  message: string;
  expected: string;
  actual: string;
}

export interface ConflictHandlerDeps {
  /** The destination's appender (with its credentials). */
  appender: RawAppender;
  reader: DestinationReader;
  offsets: StreamOffsets;
  policy: ConflictPolicy;
  linkName: string;
  originNode: string;
  destinationNode: string;
  maxBytes: number;
  logger: Logger;
  now: () => number;
  /** Wraps one destination call in the link's retry loop (transient errors). */
  retrying<T>(op: () => Promise<T>): Promise<T>;
  /**
   * Cluster mode: confirms this process still owns the link just before a conflict record is written, and
   * gives the lease epoch the record carries; null = the lease is gone, so another owner records it.
   */
  beforeConflictRecord?: () => Promise<{ epoch: number } | null>;
}

/** How many recent events are searched for an earlier copy of a conflict record (replay after a crash). */
const DUPLICATE_SEARCH_WINDOW = 500;
/** Metadata above this size is not carried into a conflict record whose data had to be omitted. */
const SMALL_METADATA_BYTES = 64 * 1024;
/** Event ids a run's log line names (the conflict stream holds every one). */
const RUN_LOG_IDS = 20;

/**
 * Applies the link's conflict policy to one event. Writes that use expected revision `any` look for their
 * own earlier copy first (stable ids), because the server only remembers recent ids for `any`.
 *
 * `metadata` can only add keys to JSON-object (or empty) metadata and needs a live destination stream and
 * an event that fits an append; otherwise the event is recorded in the conflict stream instead, so it is
 * never lost and never blocks the link.
 */
export class ConflictHandler {
  readonly conflictStream: string;

  constructor(private readonly deps: ConflictHandlerDeps) {
    this.conflictStream = conflictStreamName(deps.originNode, deps.destinationNode);
  }

  details(item: WorkItem, cause: ConflictCause): ConflictDetails {
    return {
      $error: cause.message,
      $originalStreamId: item.originStream,
      $originalEventNumber: item.revision.toString(),
      $expectedRevision: cause.expected,
      $actualRevision: cause.actual,
      $conflictAt: new Date(this.deps.now()).toISOString(),
    };
  }

  private logFields(item: WorkItem, cause: ConflictCause): Record<string, string> {
    return {
      stream: item.originStream,
      destinationStream: item.destStream,
      revision: item.revision.toString(),
      eventId: item.id,
      reason: cause.reason,
      expected: cause.expected,
      actual: cause.actual,
      policy: this.deps.policy,
    };
  }

  /** Returns where the event went; throws `ESDBL_LINK_CONFLICT_HALT` under the `halt` policy. */
  async handle(
    item: WorkItem,
    cause: ConflictCause,
  ): Promise<'original-stream' | 'conflict-stream' | 'already-recorded'> {
    const details = this.details(item, cause);
    const log = this.logFields(item, cause);
    if (this.deps.policy === 'halt') {
      this.deps.logger.error(log, `conflict: ${cause.message}; halting the link (conflicts: halt)`);
      throw new LinkerError(
        'ESDBL_LINK_CONFLICT_HALT',
        `conflict in ${item.destStream} at origin ${item.originStream}@${item.revision}: ${cause.message}`,
        { details: { ...details } },
      );
    }
    if (this.deps.policy === 'metadata' && item.kind === 'append' && cause.reason === 'conflict') {
      const metadata = withStringKeys(item.metadata, { ...details });
      if (metadata && item.bytes - item.metadata.length + metadata.length <= this.deps.maxBytes) {
        this.deps.logger.warn(log, `conflict: ${cause.message}; appending anyway with the conflict in its metadata`);
        return this.appendToOriginal(item, metadata);
      }
    }
    this.deps.logger.warn(log, `conflict: ${cause.message}; recording the event in ${this.conflictStream}`);
    const [outcome] = await this.recordInConflictStream([{ item, details }]);
    return outcome!;
  }

  /** Whether every conflict goes to the conflict stream, so later events keep their numbering (`stream`). */
  get recordsInStream(): boolean {
    return this.deps.policy === 'stream';
  }

  /**
   * Under `stream`: a run of consecutive events whose slots all hold other events (a stream both sides
   * write). One duplicate search and one lease check serve the run, instead of a full resolution per event.
   */
  async recordRun(run: { item: WorkItem; cause: ConflictCause }[]): Promise<void> {
    if (!this.recordsInStream) throw new Error('recordRun is only for the stream policy');
    // One line per run, not per event: a stream both sides keep writing conflicts on every event (tens of
    // lines a second under steady traffic), and each event's record is in the conflict stream anyway.
    const first = run[0];
    if (!first) return;
    if (run.length === 1) {
      this.deps.logger.warn(
        this.logFields(first.item, first.cause),
        `conflict: ${first.cause.message}; recording the event in ${this.conflictStream}`,
      );
    } else {
      const last = run[run.length - 1]!;
      this.deps.logger.warn(
        {
          ...this.logFields(first.item, first.cause),
          toRevision: last.item.revision.toString(),
          count: run.length,
          eventIds: run.slice(0, RUN_LOG_IDS).map(({ item }) => item.id),
        },
        `conflict: ${run.length} events of ${first.item.originStream} (revisions ${first.item.revision}-${last.item.revision}) found their slots in ${first.item.destStream} taken; recording them in ${this.conflictStream}`,
      );
    }
    await this.recordInConflictStream(run.map(({ item, cause }) => ({ item, details: this.details(item, cause) })));
  }

  private async appendToOriginal(
    item: WorkItem,
    metadata: Uint8Array,
  ): Promise<'original-stream' | 'already-recorded'> {
    const tail = await this.deps.retrying(() => this.deps.reader.tail(item.destStream, DUPLICATE_SEARCH_WINDOW));
    const existing = tail.find((e) => e.id === item.id);
    if (existing) {
      this.deps.offsets.set(item.destStream, item.revision - existing.revision);
      return 'already-recorded';
    }
    const result = await this.deps.retrying(() =>
      this.deps.appender.append(
        item.destStream,
        [{ id: item.id, type: item.type, contentType: item.contentType, data: item.data, metadata }],
        { expectedRevision: ANY },
      ),
    );
    // Later events of this stream follow the one just written.
    this.deps.offsets.set(item.destStream, item.revision - result.nextExpectedRevision);
    return 'original-stream';
  }

  private async recordInConflictStream(
    entries: { item: WorkItem; details: ConflictDetails }[],
  ): Promise<('conflict-stream' | 'already-recorded')[]> {
    const ids = entries.map(({ item }) =>
      deterministicUuid('esdb-linker-conflict', this.deps.linkName, item.id, item.revision.toString()),
    );
    const tail = await this.deps
      .retrying(() => this.deps.reader.tail(this.conflictStream, DUPLICATE_SEARCH_WINDOW))
      .catch((err: unknown) => {
        throw tagAccessAttempt(err, { side: 'destination', action: 'read', stream: this.conflictStream });
      });
    const recorded = new Set(tail.map((e) => e.id));
    const outcomes = ids.map((id) => (recorded.has(id) ? 'already-recorded' : 'conflict-stream'));
    if (!outcomes.includes('conflict-stream')) return outcomes;
    const lease = this.deps.beforeConflictRecord ? await this.deps.beforeConflictRecord() : undefined;
    if (lease === null) {
      const first = entries[0]!.item;
      // Throwing (not skipping) keeps the checkpoint before this event, so the next owner records it once.
      throw new LinkerError(
        'ESDBL_CLUSTER_LEASE_LOST',
        `the lease of link ${this.deps.linkName} is gone; the conflict record of ${first.originStream}@${first.revision} is left to its next owner`,
      );
    }
    for (const [i, { item, details }] of entries.entries()) {
      if (outcomes[i] === 'already-recorded') continue;
      const extra: Record<string, string> = {
        ...(lease ? { $leaseEpoch: String(lease.epoch) } : {}),
        ...details,
        $originalEventId: item.id,
        $destinationStreamId: item.destStream,
        $originalContentType: item.contentType,
      };
      const omit = item.bytes > this.deps.maxBytes;
      try {
        try {
          await this.appendRecord(item, ids[i]!, extra, omit);
        } catch (err) {
          // Too large for the destination even though it fits our bound: keep its identity, not its body.
          if (omit || errorKind(err) !== 'too-large') throw err;
          await this.appendRecord(item, ids[i]!, extra, true);
        }
      } catch (err) {
        throw tagAccessAttempt(err, { side: 'destination', action: 'write', stream: this.conflictStream });
      }
    }
    return outcomes;
  }

  private async appendRecord(
    item: WorkItem,
    id: string,
    details: Record<string, string>,
    omitData: boolean,
  ): Promise<void> {
    const extra = { ...details };
    let data = item.data;
    if (omitData) {
      data = new Uint8Array(0);
      extra.$dataOmittedBytes = item.data.length.toString();
    }
    const small = item.metadata.length <= SMALL_METADATA_BYTES;
    let metadata = small ? withStringKeys(item.metadata, extra) : undefined;
    if (!metadata) {
      // Metadata that is not a JSON object cannot take our keys: it is kept (base64) inside a new object.
      metadata = withStringKeys(new Uint8Array(0), {
        ...extra,
        ...(small
          ? { $originalMetadataBase64: Buffer.from(item.originalMetadata).toString('base64') }
          : { $metadataOmittedBytes: item.metadata.length.toString() }),
      })!;
    }
    const type = item.kind === 'tombstone' ? '$streamDeleted' : item.type;
    const contentType = data.length === 0 ? 'application/octet-stream' : item.contentType;
    await this.deps.retrying(() =>
      this.deps.appender.append(this.conflictStream, [{ id, type, contentType, data, metadata }], {
        expectedRevision: ANY,
      }),
    );
  }
}
