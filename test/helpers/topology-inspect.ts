import { BACKWARDS, END, FORWARDS, START, type EventStoreDBClient, type Position } from '@eventstore/db-client';
import { installRawBytes, rawBytesOf } from '../../src/client/raw-bytes.js';
import type { WrittenEvent } from './topology-workload.js';

/** An event as a node stores it, with its exact bytes. */
export interface StoredEvent {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  contentType: string;
  data: Uint8Array;
  metadata: Uint8Array;
  position: Position;
}

/** Every event of a node's `$all`, oldest first. */
export async function readAllEvents(client: EventStoreDBClient): Promise<StoredEvent[]> {
  installRawBytes();
  const out: StoredEvent[] = [];
  for await (const resolved of client.readAll({ fromPosition: START, direction: FORWARDS })) {
    const e = resolved.event;
    if (!e?.position) continue;
    const raw = rawBytesOf(e);
    out.push({
      streamId: e.streamId,
      id: e.id,
      type: e.type,
      revision: e.revision,
      contentType: e.isJson ? 'application/json' : 'application/octet-stream',
      data: raw.data,
      metadata: raw.metadata,
      position: e.position,
    });
  }
  return out;
}

/** The daemon's own checkpoint and lease streams (never replicated, rewritten on an interval). */
export function isBookkeeping(streamId: string): boolean {
  return streamId.startsWith('$linker-');
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The metadata as a JSON object, or undefined when it is empty, not JSON, or JSON but not an object. */
export function jsonObjectOf(metadata: Uint8Array): Record<string, unknown> | undefined {
  if (metadata.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(decoder.decode(metadata));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The `$origin` chain of an event (node names, in hop order); empty when it has none. */
export function originChainOf(metadata: Uint8Array): string[] {
  const origin = jsonObjectOf(metadata)?.$origin;
  if (typeof origin !== 'string') return [];
  return origin
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Whether the engine can annotate this metadata (empty, or a JSON object). */
export function annotatable(metadata: Uint8Array): boolean {
  return metadata.length === 0 || jsonObjectOf(metadata) !== undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export interface PlacementOptions {
  /** The node's stream a written event belongs in (origin name + fan-in prefix). */
  streamOf(event: WrittenEvent): string;
  /** Conflict streams where the event may have been recorded instead. */
  conflictStreams: readonly string[];
}

/**
 * Checks that each written event is on a node exactly once: in its stream (same id, type, content type and
 * data bytes), or recorded in one of the conflict streams (`$originalEventId` naming it, same type and data).
 * Returns human-readable problems (empty = every event is there once) and where the events were found.
 */
export function checkPlacement(
  stored: readonly StoredEvent[],
  written: readonly WrittenEvent[],
  options: PlacementOptions,
): { problems: string[]; inStream: number; inConflictStreams: number } {
  const byStreamAndId = new Map<string, StoredEvent[]>();
  const conflictRecords = new Map<string, StoredEvent[]>();
  const conflictStreams = new Set(options.conflictStreams);
  for (const e of stored) {
    const key = `${e.streamId}\u0000${e.id}`;
    byStreamAndId.set(key, [...(byStreamAndId.get(key) ?? []), e]);
    if (conflictStreams.has(e.streamId)) {
      const originalId = jsonObjectOf(e.metadata)?.$originalEventId;
      if (typeof originalId === 'string')
        conflictRecords.set(originalId, [...(conflictRecords.get(originalId) ?? []), e]);
    }
  }
  const problems: string[] = [];
  let inStream = 0;
  let inConflictStreams = 0;
  for (const w of written) {
    const stream = options.streamOf(w);
    const copies = byStreamAndId.get(`${stream}\u0000${w.id}`) ?? [];
    const records = (conflictRecords.get(w.id) ?? []).filter(
      (r) => jsonObjectOf(r.metadata)?.$originalStreamId === w.stream,
    );
    const where = `event ${w.id} (written on ${w.node} to ${w.stream})`;
    if (copies.length + records.length === 0) {
      problems.push(
        `${where} is lost: not in ${stream} nor in ${[...conflictStreams].join(', ') || 'any conflict stream'}`,
      );
      continue;
    }
    if (copies.length + records.length > 1) {
      problems.push(
        `${where} is there ${copies.length} times in ${stream} and ${records.length} times in conflict streams`,
      );
    }
    for (const found of [...copies, ...records]) {
      if (found.type !== w.type) problems.push(`${where}: type ${found.type}, written ${w.type}`);
      if (!sameBytes(found.data, w.data)) problems.push(`${where}: data bytes differ in ${found.streamId}`);
    }
    for (const copy of copies) {
      if (copy.contentType !== w.contentType) {
        problems.push(`${where}: content type ${copy.contentType}, written ${w.contentType}`);
      }
    }
    if (copies.length > 0) inStream++;
    else inConflictStreams++;
  }
  // The first few are enough to diagnose; thousands would drown the report.
  return { problems: problems.slice(0, 12), inStream, inConflictStreams };
}

/**
 * Position of the newest event a link may have to copy: the last event that is not in a system stream (`$$`
 * metadata streams count). Checkpoints, leases and conflict records never need copying, so waiting for them
 * would only chase the links' own writes.
 */
export async function lastReplicablePosition(client: EventStoreDBClient): Promise<Position | undefined> {
  installRawBytes();
  // Pages read to their end: leaving a read early keeps the v6 client's dispose() waiting forever.
  const PAGE = 64;
  let from: Position | typeof END = END;
  for (;;) {
    let found: Position | undefined;
    let oldest: Position | undefined;
    let count = 0;
    for await (const resolved of client.readAll({ fromPosition: from, direction: BACKWARDS, maxCount: PAGE })) {
      count++;
      const e = resolved.event;
      if (!e?.position) continue;
      oldest = e.position;
      if (found === undefined && (!e.streamId.startsWith('$') || e.streamId.startsWith('$$'))) found = e.position;
    }
    if (found !== undefined || count < PAGE || oldest === undefined) return found;
    from = oldest;
  }
}

/** Events in a node's `$all` that are not the daemon's bookkeeping (user events, `$$` metadata, conflict records). */
export async function countNonBookkeepingEvents(client: EventStoreDBClient): Promise<number> {
  let n = 0;
  for await (const resolved of client.readAll({ fromPosition: START, direction: FORWARDS })) {
    const e = resolved.event;
    if (e && !isBookkeeping(e.streamId)) n++;
  }
  return n;
}

/** Events of the daemon's checkpoint and lease streams in a node's `$all`. */
export async function countBookkeepingEvents(client: EventStoreDBClient): Promise<number> {
  let n = 0;
  for await (const resolved of client.readAll({ fromPosition: START, direction: FORWARDS })) {
    const e = resolved.event;
    if (e && isBookkeeping(e.streamId)) n++;
  }
  return n;
}

/** `$origin` problems on one node: a node named twice in a chain, or the chain naming the node that stores it. */
export function originLoops(
  node: string,
  stored: readonly StoredEvent[],
  include: (streamId: string) => boolean,
): string[] {
  const problems: string[] = [];
  for (const e of stored) {
    if (!include(e.streamId)) continue;
    const chain = originChainOf(e.metadata);
    if (new Set(chain).size !== chain.length) {
      problems.push(
        `${node}: ${e.streamId}@${e.revision} (${e.id}) has $origin ${chain.join(',')} naming a node twice`,
      );
    }
    if (!e.streamId.startsWith('$') && chain.includes(node)) {
      problems.push(`${node}: ${e.streamId}@${e.revision} (${e.id}) came back home: $origin ${chain.join(',')}`);
    }
  }
  return problems;
}
