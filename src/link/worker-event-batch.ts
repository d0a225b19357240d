import type { AllStreamResolvedEvent } from '@eventstore/db-client';
import { toResolvedEvent, type OriginEventFields } from './origin-event.js';

/**
 * The reader thread's events travel to the link in one transferable ArrayBuffer per batch: a structured
 * clone of per-event arrays costs an object walk per field, and cloning `Uint8Array` views copies (or
 * pins) whole gRPC message buffers. On the link's side data and metadata stay views into that buffer.
 *
 * Layout, little-endian, events back to back:
 *   f64 createdMs | u64 revision | u64 commit | u64 prepare |
 *   u32 byte lengths of streamId, id, type, data, metadata | u8 flags (bit 0: isJson) |
 *   streamId, id, type (UTF-8), data, metadata
 */
const FIXED = 53;
const IS_JSON = 1;

/** Packs events (worker side). */
export class EventBatchPacker {
  #events: OriginEventFields[] = [];

  get count(): number {
    return this.#events.length;
  }

  add(event: OriginEventFields): void {
    this.#events.push(event);
  }

  /** The events added since the last `take()`, packed; the packer is empty afterwards. */
  take(): ArrayBuffer {
    const events = this.#events;
    this.#events = [];
    let size = 0;
    for (const e of events) {
      size +=
        FIXED +
        Buffer.byteLength(e.streamId) +
        Buffer.byteLength(e.id) +
        Buffer.byteLength(e.type) +
        e.data.length +
        e.metadata.length;
    }
    // Its own ArrayBuffer (never Node's shared pool), so it can be transferred.
    const buffer = new ArrayBuffer(size);
    const bytes = Buffer.from(buffer);
    const view = new DataView(buffer);
    let p = 0;
    for (const e of events) {
      const head = p;
      view.setFloat64(head, e.createdMs, true);
      view.setBigUint64(head + 8, e.revision, true);
      view.setBigUint64(head + 16, e.commit, true);
      view.setBigUint64(head + 24, e.prepare, true);
      view.setUint8(head + 52, e.isJson ? IS_JSON : 0);
      p = head + FIXED;
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
      view.setUint32(head + 32, streamIdLength, true);
      view.setUint32(head + 36, idLength, true);
      view.setUint32(head + 40, typeLength, true);
      view.setUint32(head + 44, e.data.length, true);
      view.setUint32(head + 48, e.metadata.length, true);
    }
    return buffer;
  }
}

/** Unpacks a batch (link side) into the events the link consumes; data and metadata are views into `buffer`. */
export function unpackEventBatch(buffer: ArrayBuffer): AllStreamResolvedEvent[] {
  const bytes = Buffer.from(buffer);
  const view = new DataView(buffer);
  const out: AllStreamResolvedEvent[] = [];
  let p = 0;
  while (p < buffer.byteLength) {
    const head = p;
    const streamIdEnd = head + FIXED + view.getUint32(head + 32, true);
    const idEnd = streamIdEnd + view.getUint32(head + 36, true);
    const typeEnd = idEnd + view.getUint32(head + 40, true);
    const dataEnd = typeEnd + view.getUint32(head + 44, true);
    const metadataEnd = dataEnd + view.getUint32(head + 48, true);
    out.push(
      toResolvedEvent({
        createdMs: view.getFloat64(head, true),
        revision: view.getBigUint64(head + 8, true),
        commit: view.getBigUint64(head + 16, true),
        prepare: view.getBigUint64(head + 24, true),
        isJson: (view.getUint8(head + 52) & IS_JSON) !== 0,
        streamId: bytes.toString('utf8', head + FIXED, streamIdEnd),
        id: bytes.toString('utf8', streamIdEnd, idEnd),
        type: bytes.toString('utf8', idEnd, typeEnd),
        data: bytes.subarray(typeEnd, dataEnd),
        metadata: bytes.subarray(dataEnd, metadataEnd),
      }),
    );
    p = metadataEnd;
  }
  return out;
}
