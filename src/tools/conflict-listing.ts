import {
  BACKWARDS,
  END,
  StreamNotFoundError,
  type EventStoreDBClient,
  type RecordedEvent,
} from '@eventstore/db-client';
import { rawBytesOf } from '../client/raw-bytes.js';
import { conflictStreamName } from '../link/bookkeeping.js';
import type { ResolvedLinkOptions } from '../link/link-options.js';
import { nodeFailure } from './node-failure.js';

/** One recorded conflict, from a conflict-stream record or from an event's metadata (`metadata` policy). */
export interface ConflictEntry {
  /** Where the record was found. */
  source: 'conflict-stream' | 'event-metadata';
  /** The origin stream and origin event number that could not take their place. */
  originStream: string;
  originEventNumber: string;
  /** The event id in the origin. */
  eventId: string;
  type: string;
  /** The destination stream the event belongs in. */
  destinationStream: string;
  expectedRevision: string;
  actualRevision: string;
  error: string;
  /** When the conflict was recorded (`$conflictAt`, else the record's creation time). */
  at: string;
  /** Where the record itself lives: `stream@revision` in the destination. */
  record: string;
}

export interface ConflictListing {
  conflictStream: string;
  /** Newest first, at most `limit` from each source. */
  entries: ConflictEntry[];
  /** Whether `$all` was scanned for `$error` metadata (policy `metadata`). */
  scannedAll: boolean;
  /** Events of `$all` examined by the scan. */
  scannedEvents: number;
}

interface Options {
  link: ResolvedLinkOptions;
  limit: number;
  signal?: AbortSignal;
}

/**
 * Lists a link's recorded conflicts in its destination. Every policy but `halt` may write to the conflict
 * stream (`metadata` falls back to it when an event's metadata cannot take the keys); under `metadata` the
 * conflicts usually sit in the replicated events themselves, found by scanning `$all` backwards for events
 * whose metadata holds `$error` for this link's streams.
 */
export async function listConflicts(
  client: EventStoreDBClient,
  destinationNode: string,
  options: Options,
): Promise<ConflictListing> {
  const { link, limit } = options;
  const conflictStream = conflictStreamName(link.origin, link.destination);
  const entries = await readConflictStream(client, destinationNode, conflictStream, link.streamPrefix, limit);
  let scannedEvents = 0;
  const scannedAll = link.conflicts === 'metadata';
  if (scannedAll) {
    const scan = await scanEventMetadata(client, destinationNode, link.streamPrefix, limit, options.signal);
    entries.push(...scan.entries);
    scannedEvents = scan.scanned;
    entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }
  return { conflictStream, entries, scannedAll, scannedEvents };
}

async function readConflictStream(
  client: EventStoreDBClient,
  node: string,
  stream: string,
  streamPrefix: string,
  limit: number,
): Promise<ConflictEntry[]> {
  const entries: ConflictEntry[] = [];
  const read = client.readStream(stream, { direction: BACKWARDS, fromRevision: END });
  try {
    for await (const resolved of read) {
      if (entries.length >= limit) {
        // Leaving the loop alone would leave the gRPC call open (paused); cancel ends it.
        await read.cancel();
        break;
      }
      const event = resolved.event;
      if (!event) continue;
      const meta = metadataObject(event) ?? {};
      // Links with the same origin and destination (different stream prefixes) share the conflict stream.
      const destinationStream = str(meta.$destinationStreamId);
      const originStream = str(meta.$originalStreamId);
      if (
        destinationStream !== undefined &&
        originStream !== undefined &&
        destinationStream !== streamPrefix + originStream
      ) {
        continue;
      }
      entries.push(
        entryOf('conflict-stream', event, meta, destinationStream ?? '?', str(meta.$originalEventId) ?? '?'),
      );
    }
  } catch (err) {
    if (err instanceof StreamNotFoundError) return entries;
    throw nodeFailure(node, `reading ${stream}`, err);
  }
  return entries;
}

async function scanEventMetadata(
  client: EventStoreDBClient,
  node: string,
  streamPrefix: string,
  limit: number,
  signal: AbortSignal | undefined,
): Promise<{ entries: ConflictEntry[]; scanned: number }> {
  const entries: ConflictEntry[] = [];
  let scanned = 0;
  const read = client.readAll({ direction: BACKWARDS, fromPosition: END });
  try {
    for await (const resolved of read) {
      if (signal?.aborted || entries.length >= limit) {
        // Leaving the loop alone would leave the gRPC call open (paused); cancel ends it.
        await read.cancel();
        signal?.throwIfAborted();
        break;
      }
      const event = resolved.event;
      if (!event) continue;
      scanned++;
      if (event.streamId.startsWith('$')) continue;
      const meta = metadataObject(event);
      if (!meta || typeof meta.$error !== 'string') continue;
      // Attribute the record to this link: the conflicting copy sits at prefix + origin stream name.
      const originStream = str(meta.$originalStreamId);
      if (originStream === undefined || event.streamId !== streamPrefix + originStream) continue;
      entries.push(entryOf('event-metadata', event, meta, event.streamId, event.id));
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw nodeFailure(node, 'scanning $all for conflict metadata', err);
  }
  return { entries, scanned };
}

function entryOf(
  source: ConflictEntry['source'],
  event: RecordedEvent,
  meta: Record<string, unknown>,
  destinationStream: string,
  eventId: string,
): ConflictEntry {
  return {
    source,
    originStream: str(meta.$originalStreamId) ?? '?',
    originEventNumber: str(meta.$originalEventNumber) ?? '?',
    eventId,
    type: event.type,
    destinationStream,
    expectedRevision: str(meta.$expectedRevision) ?? '?',
    actualRevision: str(meta.$actualRevision) ?? '?',
    error: str(meta.$error) ?? '',
    at: str(meta.$conflictAt) ?? event.created.toISOString(),
    record: `${event.streamId}@${event.revision}`,
  };
}

function metadataObject(event: RecordedEvent): Record<string, unknown> | undefined {
  const bytes = rawBytesOf(event).metadata;
  if (bytes.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}
