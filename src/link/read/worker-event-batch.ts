import type { Position } from '@eventstore/db-client';
import type { OriginEventFields } from './origin-event.js';

/**
 * What the reader thread sends the link travels in one transferable ArrayBuffer per batch: a structured
 * clone of per-event arrays costs an object walk per field, and cloning `Uint8Array` views copies (or
 * pins) whole gRPC message buffers. On the link's side data and metadata stay views into that buffer.
 * Checkpoints travel in the same buffer, in stream order: the server sends one every few dozen events, and
 * a message of their own would cut every batch short.
 *
 * Layout, little-endian, entries back to back:
 *   event:      u8 0 | u8 flags (bit 0: isJson) | f64 createdMs | u64 revision | u64 commit | u64 prepare |
 *               u32 byte lengths of streamId, id, type, data, metadata | streamId, id, type (UTF-8), data, metadata
 *   checkpoint: u8 1 | u64 commit | u64 prepare
 */
const EVENT = 0;
const CHECKPOINT = 1;
const EVENT_HEAD = 54;
const CHECKPOINT_SIZE = 17;
const IS_JSON = 1;

type Entry = OriginEventFields | { checkpoint: Position };

/** Packs events and checkpoints (worker side). */
export class EventBatchPacker {
  #entries: Entry[] = [];
  #events = 0;

  /** Events (not checkpoints) added since the last `take()`. */
  get count(): number {
    return this.#events;
  }

  /** Events and checkpoints added since the last `take()`. */
  get entries(): number {
    return this.#entries.length;
  }

  add(event: OriginEventFields): void {
    this.#entries.push(event);
    this.#events++;
  }

  addCheckpoint(position: Position): void {
    this.#entries.push({ checkpoint: position });
  }

  /** Everything added since the last `take()`, packed in order; the packer is empty afterwards. */
  take(): ArrayBuffer {
    const entries = this.#entries;
    this.#entries = [];
    this.#events = 0;
    let size = 0;
    for (const e of entries) {
      if ('checkpoint' in e) size += CHECKPOINT_SIZE;
      else {
        size +=
          EVENT_HEAD +
          Buffer.byteLength(e.streamId) +
          Buffer.byteLength(e.id) +
          Buffer.byteLength(e.type) +
          e.data.length +
          e.metadata.length;
      }
    }
    // Its own ArrayBuffer (never Node's shared pool), so it can be transferred. Not zero-filled: every
    // byte is written below.
    const bytes = Buffer.allocUnsafeSlow(size);
    const buffer = bytes.buffer;
    const view = new DataView(buffer);
    let p = 0;
    for (const e of entries) {
      const head = p;
      if ('checkpoint' in e) {
        view.setUint8(head, CHECKPOINT);
        view.setBigUint64(head + 1, e.checkpoint.commit, true);
        view.setBigUint64(head + 9, e.checkpoint.prepare, true);
        p = head + CHECKPOINT_SIZE;
        continue;
      }
      view.setUint8(head, EVENT);
      view.setUint8(head + 1, e.isJson ? IS_JSON : 0);
      view.setFloat64(head + 2, e.createdMs, true);
      view.setBigUint64(head + 10, e.revision, true);
      view.setBigUint64(head + 18, e.commit, true);
      view.setBigUint64(head + 26, e.prepare, true);
      p = head + EVENT_HEAD;
      const streamIdLength = bytes.write(e.streamId, p, 'utf8');
      p += streamIdLength;
      const idLength = bytes.write(e.id, p, 'utf8');
      p += idLength;
      const typeLength = bytes.write(e.type, p, 'utf8');
      p += typeLength;
      bytes.set(e.data, p);
      p += e.data.length;
      bytes.set(e.metadata, p);
      p += e.metadata.length;
      view.setUint32(head + 34, streamIdLength, true);
      view.setUint32(head + 38, idLength, true);
      view.setUint32(head + 42, typeLength, true);
      view.setUint32(head + 46, e.data.length, true);
      view.setUint32(head + 50, e.metadata.length, true);
    }
    return buffer;
  }
}

/** Below this, a payload copy goes into Node's pool (`Buffer.allocUnsafe`); Node pools below 4 KiB. */
const POOLED_PAYLOAD_MAX = 1024;

function copyOut(bytes: Buffer, start: number, end: number): Uint8Array {
  const length = end - start;
  const copy = length <= POOLED_PAYLOAD_MAX ? Buffer.allocUnsafe(length) : Buffer.allocUnsafeSlow(length);
  bytes.copy(copy, 0, start, end);
  return copy;
}

export interface BatchVisitor {
  onEvent(event: OriginEventFields): void;
  onCheckpoint(position: Position): void;
}

/**
 * UTF-8 text that comes in runs (an interleaved `$all` holds a stream's events a few at a time, and few event
 * types): the last text is reused when the bytes spell it again, which saves a decode and, more, a string
 * per buffered event for the garbage collector to copy. Only an ASCII text is reused, compared byte for
 * character; any other is decoded again.
 */
class RepeatedText {
  #text = '';

  decode(bytes: Buffer, start: number, end: number): string {
    const text = this.#text;
    const length = end - start;
    if (text.length === length) {
      let i = 0;
      for (; i < length; i++) {
        const byte = bytes[start + i]!;
        // Not ASCII: "Ã©" (U+00C3 U+00A9) would otherwise match the bytes C3 A9 of "é".
        if (byte >= 0x80 || text.charCodeAt(i) !== byte) break;
      }
      if (i === length) return text;
    }
    return (this.#text = bytes.toString('utf8', start, end));
  }
}

const streamIds = new RepeatedText();
const types = new RepeatedText();
const NO_METADATA = new Uint8Array(0);

/**
 * Unpacks a batch (link side) in order into the events the link consumes and the checkpoints between them;
 * each event's data and metadata share one copy of their own, so the batch's memory is free once unpacked.
 */
export function unpackEventBatch(buffer: ArrayBuffer, visitor: BatchVisitor): void {
  const bytes = Buffer.from(buffer);
  const view = new DataView(buffer);
  let p = 0;
  while (p < buffer.byteLength) {
    const head = p;
    if (view.getUint8(head) === CHECKPOINT) {
      p = head + CHECKPOINT_SIZE;
      visitor.onCheckpoint({ commit: view.getBigUint64(head + 1, true), prepare: view.getBigUint64(head + 9, true) });
      continue;
    }
    const streamIdEnd = head + EVENT_HEAD + view.getUint32(head + 34, true);
    const idEnd = streamIdEnd + view.getUint32(head + 38, true);
    const typeEnd = idEnd + view.getUint32(head + 42, true);
    const dataEnd = typeEnd + view.getUint32(head + 46, true);
    const metadataEnd = dataEnd + view.getUint32(head + 50, true);
    p = metadataEnd;
    // The payload gets memory of its own: a view would keep the whole batch alive while any one of its
    // events waits (a slow lane), so a few waiting events could pin far more than the buffer bounds count.
    // Small payloads are copied into Node's shared pool (one waiting event pins at most its 8 KiB slab),
    // as an ArrayBuffer per event costs ~2 µs to allocate and more to sweep; large ones get their own.
    const payload = copyOut(bytes, typeEnd, metadataEnd);
    const hasMetadata = metadataEnd > dataEnd;
    visitor.onEvent({
      isJson: (view.getUint8(head + 1) & IS_JSON) !== 0,
      createdMs: view.getFloat64(head + 2, true),
      revision: view.getBigUint64(head + 10, true),
      commit: view.getBigUint64(head + 18, true),
      prepare: view.getBigUint64(head + 26, true),
      streamId: streamIds.decode(bytes, head + EVENT_HEAD, streamIdEnd),
      id: bytes.toString('utf8', streamIdEnd, idEnd),
      type: types.decode(bytes, idEnd, typeEnd),
      data: hasMetadata ? payload.subarray(0, dataEnd - typeEnd) : payload,
      metadata: hasMetadata ? payload.subarray(dataEnd - typeEnd) : NO_METADATA,
    });
  }
}
