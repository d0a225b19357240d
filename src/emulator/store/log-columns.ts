import { PayloadArena } from './payload-arena.js';
import { StringTable } from './string-table.js';
import { MAX_LONG, type EventRecord } from './types.js';
import { readUuidBytes, writeUuidBytes } from './uuid-bytes.js';

const PAGE_BITS = 16;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;
/** Stored revision of a tombstone (long.MaxValue does not fit a float64 exactly). */
const TOMBSTONE_REVISION = -1;

/** Fixed-size columns for PAGE_SIZE records: pages never move, so the log grows without copying. */
class LogPage {
  readonly position = new Float64Array(PAGE_SIZE);
  readonly revision = new Float64Array(PAGE_SIZE);
  readonly created = new Float64Array(PAGE_SIZE);
  readonly stream = new Uint32Array(PAGE_SIZE);
  readonly eventType = new Uint32Array(PAGE_SIZE);
  readonly contentType = new Uint32Array(PAGE_SIZE);
  readonly chunk = new Uint32Array(PAGE_SIZE);
  readonly offset = new Uint32Array(PAGE_SIZE);
  readonly dataLength = new Uint32Array(PAGE_SIZE);
  readonly metadataLength = new Uint32Array(PAGE_SIZE);
  readonly ids = new Uint8Array(PAGE_SIZE * 16);
}

/**
 * The global log, ordered by position, stored by column: about 68 bytes of typed arrays per record plus its
 * payload in a shared arena, and no JS object per record, so memory is payload plus a fixed overhead and
 * the garbage collector's work does not grow with the log. Records are materialised on read (`at`) as
 * short-lived objects whose `data`/`metadata` are views of the arena.
 */
export class LogColumns {
  private readonly pages: LogPage[] = [];
  private readonly payloads = new PayloadArena();
  private readonly streams = new StringTable();
  private readonly types = new StringTable();
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** Appends a record; returns its index. */
  push(r: EventRecord): number {
    const index = this.count;
    const slot = index & PAGE_MASK;
    if (slot === 0) this.pages.push(new LogPage());
    const page = this.pages[index >>> PAGE_BITS] as LogPage;
    page.position[slot] = r.position;
    page.revision[slot] = r.revision === MAX_LONG ? TOMBSTONE_REVISION : Number(r.revision);
    page.created[slot] = r.created;
    page.stream[slot] = this.streams.intern(r.streamId);
    page.eventType[slot] = this.types.intern(r.eventType);
    page.contentType[slot] = this.types.intern(r.contentType);
    this.payloads.write(r.data, r.metadata);
    page.chunk[slot] = this.payloads.lastChunk;
    page.offset[slot] = this.payloads.lastOffset;
    page.dataLength[slot] = r.data.length;
    page.metadataLength[slot] = r.metadata.length;
    writeUuidBytes(r.eventId, page.ids, slot * 16);
    this.count = index + 1;
    return index;
  }

  /** The record at `index` (negative counts from the end, like `Array.prototype.at`); undefined when out of range. */
  at(index: number): EventRecord | undefined {
    const i = index < 0 ? this.count + index : index;
    if (i < 0 || i >= this.count) return undefined;
    const page = this.pages[i >>> PAGE_BITS] as LogPage;
    const slot = i & PAGE_MASK;
    const revision = page.revision[slot] as number;
    const chunk = page.chunk[slot] as number;
    const offset = page.offset[slot] as number;
    const dataLength = page.dataLength[slot] as number;
    return {
      position: page.position[slot] as number,
      streamId: this.streams.get(page.stream[slot] as number),
      revision: revision === TOMBSTONE_REVISION ? MAX_LONG : BigInt(revision),
      eventId: readUuidBytes(page.ids, slot * 16),
      eventType: this.types.get(page.eventType[slot] as number),
      contentType: this.types.get(page.contentType[slot] as number),
      created: page.created[slot] as number,
      data: this.payloads.view(chunk, offset, dataLength),
      metadata: this.payloads.view(chunk, offset + dataLength, page.metadataLength[slot] as number),
    };
  }

  /** Records [start, end) as an array (array `slice` semantics); for tests and tools, not hot paths. */
  slice(start = 0, end = this.count): EventRecord[] {
    const from = start < 0 ? Math.max(0, this.count + start) : Math.min(start, this.count);
    const to = end < 0 ? Math.max(0, this.count + end) : Math.min(end, this.count);
    const out: EventRecord[] = [];
    for (let i = from; i < to; i++) out.push(this.at(i) as EventRecord);
    return out;
  }

  /** Position of the record at `index` (0 <= index < length), without materialising it. */
  positionAt(index: number): number {
    return (this.pages[index >>> PAGE_BITS] as LogPage).position[index & PAGE_MASK] as number;
  }

  /** Revision (as a number; -1 for a tombstone) of the record at `index`, without materialising it. */
  revisionAt(index: number): number {
    return (this.pages[index >>> PAGE_BITS] as LogPage).revision[index & PAGE_MASK] as number;
  }

  streamIdAt(index: number): string {
    return this.streams.get((this.pages[index >>> PAGE_BITS] as LogPage).stream[index & PAGE_MASK] as number);
  }

  eventTypeAt(index: number): string {
    return this.types.get((this.pages[index >>> PAGE_BITS] as LogPage).eventType[index & PAGE_MASK] as number);
  }

  eventIdAt(index: number): string {
    return readUuidBytes((this.pages[index >>> PAGE_BITS] as LogPage).ids, (index & PAGE_MASK) * 16);
  }

  /** The data payload of the record at `index` (a view). */
  dataAt(index: number): Buffer {
    const page = this.pages[index >>> PAGE_BITS] as LogPage;
    const slot = index & PAGE_MASK;
    return this.payloads.view(page.chunk[slot] as number, page.offset[slot] as number, page.dataLength[slot] as number);
  }

  /** Index of the first record at or after `position` (length when none): a binary search of the position column. */
  indexAtOrAfter(position: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.positionAt(mid) < position) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
