import {
  ANY,
  NO_STREAM,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import type { Logger } from 'pino';
import { LOCAL_TIMEOUT_GRACE_MS } from '../../client/batch-append-session.js';
import type { RawAppender } from '../../client/raw-appender.js';
import type { RawEventInput } from '../../client/raw-bytes.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import { replicaSource } from '../filter/annotations.js';
import { Backoff } from '../recovery/backoff.js';
import type { ConflictCause, ConflictHandler } from './conflict-handler.js';
import type { DestinationEvent, DestinationReader } from './destination-reader.js';
import { tagAccessAttempt } from '../recovery/access-errors.js';
import { errorKind } from '../recovery/error-kinds.js';
import { METADATA_EVENT_TYPE } from '../filter/event-filter.js';
import { withTimeout } from '../recovery/retry.js';
import type { StreamOffsets } from './stream-offsets.js';
import type { WorkItem } from '../route/work-item.js';

/** How long past the appender's own give-up time the writer's backstop timeout waits. */
const APPEND_BACKSTOP_MS = 1_000;

export interface WriteResult {
  /** Appended now. */
  written: WorkItem[];
  /** Already in the destination (replay after a crash, or the same metadata written there). */
  skipped: WorkItem[];
  /** Handed to the conflict policy. */
  conflicted: WorkItem[];
  /** Latency of the successful appends of this batch, ms. */
  appendMs: number;
  appends: number;
}

export interface StreamWriterDeps {
  /** Tombstones (appends go through `appender`). */
  client: EventStoreDBClient;
  /** Every append: hand-encoded, byte-exact, with the destination's credentials. */
  appender: RawAppender;
  reader: DestinationReader;
  offsets: StreamOffsets;
  conflicts: ConflictHandler;
  clock: Clock;
  logger: Logger;
  retry: { initialDelayMs: number; maxDelayMs: number };
  appendTimeoutMs: number;
  /** Options of the stock client's writes (tombstones): the destination's credentials. */
  writeOptions: { credentials?: { username: string; password: string } };
  onRetry(err: unknown, delayMs: number): void;
  onRecovered(): void;
  onConflict(item: WorkItem): void;
  /** Whether the origin stream (of an event or of a metastream's stream) is tombstoned. */
  originTombstoned(originStream: string): Promise<boolean>;
  /**
   * Called once this writer created a destination stream for selected events (`followsStream` links): the
   * origin stream's metadata, skipped while the destination stream did not exist, is copied now.
   */
  streamCreated?(first: WorkItem, signal: AbortSignal): Promise<void>;
}

/** How many recent destination events are searched for our ids when the numbering is unknown. */
const TAIL_WINDOW = 256;
/** Resolution rounds for one head event before it is treated as a conflict (guards against loops). */
const MAX_ROUNDS = 6;

function expectedFor(destRevision: bigint): AppendExpectedRevision {
  return destRevision <= 0n ? NO_STREAM : destRevision - 1n;
}

function describe(rev: AppendExpectedRevision | bigint | string): string {
  return typeof rev === 'bigint' ? rev.toString() : String(rev);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/**
 * Writes one batch (consecutive events of one destination stream) with the expected revision that mirrors
 * the origin: destination revision = origin revision - offset, expected = that - 1. Never reads before an
 * ordinary write; a wrong-expected-version answer is resolved by reading the destination around the slot:
 * - the same ids there: already copied (crash replay), skipped;
 * - our first id elsewhere near the end, or an annotated replica that tells the numbering: new offset;
 * - the destination is shorter: the origin stream starts above it (truncated, scavenged): new offset;
 * - a different event in our slot: a conflict, handed to the policy.
 * Transient errors retry the same batch with backoff; nothing is skipped on an error.
 */
export class StreamWriter {
  constructor(private readonly deps: StreamWriterDeps) {}

  async write(
    batch: WorkItem[],
    signal: AbortSignal,
    onAppended?: (ms: number, events: number) => void,
  ): Promise<WriteResult> {
    const result: WriteResult = { written: [], skipped: [], conflicted: [], appendMs: 0, appends: 0 };
    let rest = batch;
    const backoff = new Backoff(this.deps.retry);
    let rounds = 0;
    let head: WorkItem | undefined;
    while (rest.length > 0) {
      signal.throwIfAborted();
      const first = rest[0]!;
      if (first !== head) {
        head = first;
        rounds = 0;
      }
      if (first.followsStream && !(await this.destinationStreamExists(first, signal))) {
        result.skipped.push(first);
        rest = rest.slice(1);
        continue;
      }
      if (first.kind === 'tombstone') {
        await this.tombstone(first, signal, backoff);
        result.written.push(first);
        rest = rest.slice(1);
        continue;
      }
      if (rest.some((i) => i.unmarked)) {
        // An event without `$origin` may be a copy coming home (active/active): if the destination already
        // holds its id, appending it at a moved revision would write it twice.
        const present = await this.idsInDestination(first.destStream, signal);
        const at = rest.findIndex((i) => i.unmarked && present.has(i.id));
        if (at === 0) {
          result.skipped.push(first);
          rest = rest.slice(1);
          continue;
        }
        if (at > 0) {
          const head = await this.write(rest.slice(0, at), signal, onAppended);
          merge(result, head);
          rest = rest.slice(at);
          continue;
        }
      }
      const destRevision = first.revision - this.deps.offsets.get(first.destStream);
      const expected = expectedFor(destRevision);
      try {
        const started = performance.now();
        await withTimeout(
          // A WorkItem is a RawEventInput (id, type, contentType, data, metadata): no copy per event and append.
          this.deps.appender.append(first.destStream, rest satisfies readonly RawEventInput[], {
            expectedRevision: expected,
            deadlineMs: this.deps.appendTimeoutMs,
          }),
          // A backstop only: the appender gives a silent append up itself (and replaces the connection)
          // shortly after its deadline; this fires only if that ever fails to.
          this.deps.appendTimeoutMs + LOCAL_TIMEOUT_GRACE_MS + APPEND_BACKSTOP_MS,
          `append to ${first.destStream}`,
        );
        const ms = performance.now() - started;
        result.appendMs += ms;
        result.appends++;
        onAppended?.(ms, rest.length);
        result.written.push(...rest);
        if (backoff.attempts > 0) this.deps.onRecovered();
        if (expected === NO_STREAM && first.eventKind === 'event') await this.deps.streamCreated?.(first, signal);
        return result;
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        const kind = errorKind(err);
        if (kind === 'transient') {
          const delay = backoff.nextDelayMs();
          this.deps.onRetry(err, delay);
          await this.deps.clock.sleep(delay, signal);
          continue;
        }
        if (kind === 'access-denied') {
          throw tagAccessAttempt(err, { side: 'destination', action: 'write', stream: first.destStream });
        }
        if (backoff.attempts > 0) this.deps.onRecovered();
        backoff.reset();
        if (kind === 'stream-deleted' && (await this.replayAfterTombstone(first, signal))) {
          // The origin stream is tombstoned too: this is a replay of events the tombstone already covers.
          result.skipped.push(...rest);
          return result;
        }
        if (kind === 'wrong-expected-version' && ++rounds <= MAX_ROUNDS) {
          const actual = err instanceof WrongExpectedVersionError ? err.actualVersion : 'unknown';
          try {
            rest = await this.resolve(rest, expected, actual, result, signal);
          } catch (readErr) {
            if (errorKind(readErr) !== 'stream-deleted') throw readErr;
            if (await this.replayAfterTombstone(first, signal)) {
              result.skipped.push(...rest);
              return result;
            }
            await this.conflict(
              first,
              {
                reason: 'stream-deleted',
                message: errorMessage(readErr),
                expected: describe(expected),
                actual: 'deleted',
              },
              result,
            );
            rest = rest.slice(1);
          }
          continue;
        }
        if (rest.length > 1 && (kind === 'too-large' || kind === 'refused')) {
          // Find the event the server refuses: write the batch one event at a time.
          for (const item of rest) merge(result, await this.write([item], signal, onAppended));
          return result;
        }
        const cause: ConflictCause = {
          reason:
            kind === 'too-large'
              ? 'too-large'
              : kind === 'stream-deleted'
                ? 'stream-deleted'
                : kind === 'wrong-expected-version'
                  ? 'conflict'
                  : 'refused',
          message: errorMessage(err),
          expected: describe(expected),
          actual: err instanceof WrongExpectedVersionError ? describe(err.actualVersion) : 'unknown',
        };
        await this.conflict(first, cause, result);
        rest = rest.slice(1);
      }
    }
    return result;
  }

  private async conflict(item: WorkItem, cause: ConflictCause, result: WriteResult): Promise<void> {
    // Counted first: under `halt` the handler throws, and that conflict counts too.
    this.deps.onConflict(item);
    await this.deps.conflicts.handle(item, cause);
    result.conflicted.push(item);
  }

  private async tombstone(item: WorkItem, signal: AbortSignal, backoff: Backoff): Promise<void> {
    for (;;) {
      signal.throwIfAborted();
      try {
        await withTimeout(
          this.deps.client.tombstoneStream(item.destStream, {
            expectedRevision: ANY,
            deadline: this.deps.appendTimeoutMs,
            ...this.deps.writeOptions,
          }),
          this.deps.appendTimeoutMs,
          `tombstone of ${item.destStream}`,
        );
        if (backoff.attempts > 0) this.deps.onRecovered();
        return;
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        const kind = errorKind(err);
        // Already tombstoned: a replay, or both sides deleted it.
        if (kind === 'stream-deleted') return;
        if (kind !== 'transient') throw err;
        const delay = backoff.nextDelayMs();
        this.deps.onRetry(err, delay);
        await this.deps.clock.sleep(delay, signal);
      }
    }
  }

  /** Returns the events still to write after a wrong-expected-version answer. */
  private async resolve(
    rest: WorkItem[],
    expected: AppendExpectedRevision,
    actual: bigint | string,
    result: WriteResult,
    signal: AbortSignal,
  ): Promise<WorkItem[]> {
    const first = rest[0]!;
    const stream = first.destStream;
    const read = <T>(op: () => Promise<T>) => this.readRetrying(op, signal);
    const slotStart = expected === NO_STREAM ? 0n : (expected as bigint) + 1n;
    const slot = await read(() => this.deps.reader.forward(stream, slotStart, rest.length));
    let matched = 0;
    while (matched < slot.length && matched < rest.length && slot[matched]!.id === rest[matched]!.id) matched++;
    if (matched > 0) {
      result.skipped.push(...rest.slice(0, matched));
      // A replay of the stream's first events: the metadata copy that followed their first write may have
      // been cut short by a crash (it is idempotent).
      if (expected === NO_STREAM && first.eventKind === 'event') await this.deps.streamCreated?.(first, signal);
      return rest.slice(matched);
    }
    const occupant = slot[0]?.revision === slotStart ? slot[0] : undefined;
    if (occupant && first.eventKind === 'metadata' && sameMetadataEvent(occupant, first)) {
      // The destination wrote this metadata itself (an undelete on append) or got the same settings.
      result.skipped.push(first);
      return rest.slice(1);
    }
    const tail = await read(() => this.deps.reader.tail(stream, TAIL_WINDOW));
    const found = tail.find((e) => e.id === first.id);
    if (found) {
      this.setOffset(first, first.revision - found.revision, 'found the event in the destination');
      return rest;
    }
    const newest = tail[0];
    const source = newest ? replicaSource(newest.metadata) : undefined;
    if (newest && source && source.streamId === first.originStream) {
      const offset = source.revision - newest.revision;
      if (offset !== this.deps.offsets.get(stream)) {
        this.setOffset(first, offset, 'numbering derived from the last replicated event');
        return rest;
      }
    }
    const actualRevision = typeof actual === 'bigint' ? actual : undefined;
    const destinationShorter =
      !occupant && (actual === NO_STREAM || (actualRevision !== undefined && actualRevision < slotStart));
    if (destinationShorter) {
      const next = actualRevision === undefined ? 0n : actualRevision + 1n;
      this.setOffset(first, first.revision - next, 'destination stream is shorter than the origin numbering');
      return rest;
    }
    if (occupant && this.deps.conflicts.recordsInStream) {
      return rest.slice(await this.conflictRun(rest, slot, slotStart, tail, actual, result));
    }
    await this.conflict(
      first,
      {
        reason: 'conflict',
        message: occupant
          ? `destination ${stream}@${slotStart} holds event ${occupant.id} (${occupant.type}), not ${first.id}`
          : `destination ${stream} is at ${describe(actual)}, expected ${describe(expected)}; the slot cannot be read`,
        expected: describe(expected),
        actual: describe(actual),
      },
      result,
    );
    return rest.slice(1);
  }

  /**
   * `rest[0]` conflicts with the event in its slot. Under the `stream` policy the numbering stays, so each
   * following event whose slot (already read) holds another event, and whose id is not near the end of
   * the destination, conflicts too: recorded as one run, rather than one failed append and two reads each
   * (a stream both sides keep writing would otherwise cost its lane several round trips per event).
   * Returns how many events of `rest` were recorded.
   */
  private async conflictRun(
    rest: WorkItem[],
    slot: DestinationEvent[],
    slotStart: bigint,
    tail: DestinationEvent[],
    actual: bigint | string,
    result: WriteResult,
  ): Promise<number> {
    const nearEnd = new Set(tail.map((e) => e.id));
    let size = 1;
    while (size < rest.length && size < slot.length) {
      const item = rest[size]!;
      const occupant = slot[size]!;
      const plain = item.kind === 'append' && item.eventKind === 'event' && !item.followsStream && !item.unmarked;
      if (!plain || occupant.revision !== slotStart + BigInt(size) || occupant.id === item.id) break;
      if (nearEnd.has(item.id)) break;
      size++;
    }
    const run = rest.slice(0, size).map((item, i) => {
      const at = slotStart + BigInt(i);
      const occupant = slot[i]!;
      const cause: ConflictCause = {
        reason: 'conflict',
        message: `destination ${item.destStream}@${at} holds event ${occupant.id} (${occupant.type}), not ${item.id}`,
        expected: describe(expectedFor(at)),
        actual: describe(actual),
      };
      return { item, cause };
    });
    for (const { item } of run) this.deps.onConflict(item);
    await this.deps.conflicts.recordRun(run);
    result.conflicted.push(...run.map((r) => r.item));
    return size;
  }

  /** The user stream a `$$` event or tombstone belongs to holds events (or metadata, or is tombstoned). */
  private async destinationStreamExists(item: WorkItem, signal: AbortSignal): Promise<boolean> {
    const stream = item.eventKind === 'metadata' ? item.destStream.slice(2) : item.destStream;
    for (const name of [stream, `$$${stream}`]) {
      try {
        const tail = await this.readRetrying(() => this.deps.reader.tail(name, 1), signal);
        if (tail.length > 0) return true;
      } catch (err) {
        if (errorKind(err) === 'stream-deleted') return true;
        throw err;
      }
    }
    return false;
  }

  private async idsInDestination(stream: string, signal: AbortSignal): Promise<Set<string>> {
    try {
      const tail = await this.readRetrying(() => this.deps.reader.tail(stream, TAIL_WINDOW), signal);
      return new Set(tail.map((e) => e.id));
    } catch (err) {
      // A tombstoned destination is handled by the append that follows.
      if (errorKind(err) === 'stream-deleted') return new Set();
      throw err;
    }
  }

  private async replayAfterTombstone(item: WorkItem, signal: AbortSignal): Promise<boolean> {
    const base = item.originStream.startsWith('$$') ? item.originStream.slice(2) : item.originStream;
    return this.readRetrying(() => this.deps.originTombstoned(base), signal);
  }

  private setOffset(item: WorkItem, offset: bigint, why: string): void {
    this.deps.logger.info(
      { stream: item.destStream, originRevision: item.revision.toString(), offset: offset.toString() },
      `stream numbering offset: ${why}`,
    );
    this.deps.offsets.set(item.destStream, offset);
  }

  private async readRetrying<T>(op: () => Promise<T>, signal: AbortSignal): Promise<T> {
    const backoff = new Backoff(this.deps.retry);
    for (;;) {
      signal.throwIfAborted();
      try {
        return await op();
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        if (errorKind(err) !== 'transient') throw err;
        const delay = backoff.nextDelayMs();
        this.deps.onRetry(err, delay);
        await this.deps.clock.sleep(delay, signal);
      }
    }
  }
}

function merge(into: WriteResult, from: WriteResult): void {
  into.written.push(...from.written);
  into.skipped.push(...from.skipped);
  into.conflicted.push(...from.conflicted);
  into.appendMs += from.appendMs;
  into.appends += from.appends;
}

function sameMetadataEvent(existing: DestinationEvent, item: WorkItem): boolean {
  return (
    existing.type === METADATA_EVENT_TYPE && item.type === METADATA_EVENT_TYPE && sameBytes(existing.data, item.data)
  );
}
