import type { EventRecord } from '../store/types.js';

/**
 * Binary layout of one commit (a frame's payload): u32 record count, then per record
 * f64 position, i64 revision, f64 created (ms), and length-prefixed (u32) stream id, event id, event type,
 * content type, data, metadata. Positions and created times are integers below 2^53, exact in a double.
 */
export function encodeCommit(records: readonly EventRecord[]): Buffer {
  let size = 4;
  const texts = records.map((r) => [
    Buffer.from(r.streamId, 'utf8'),
    Buffer.from(r.eventId, 'utf8'),
    Buffer.from(r.eventType, 'utf8'),
    Buffer.from(r.contentType, 'utf8'),
  ]);
  records.forEach((r, i) => {
    size += 24 + 6 * 4 + r.data.length + r.metadata.length;
    for (const t of texts[i] ?? []) size += t.length;
  });
  const buf = Buffer.allocUnsafe(size);
  let pos = buf.writeUInt32LE(records.length, 0);
  records.forEach((r, i) => {
    pos = buf.writeDoubleLE(r.position, pos);
    pos = buf.writeBigInt64LE(r.revision, pos);
    pos = buf.writeDoubleLE(r.created, pos);
    for (const part of [...(texts[i] ?? []), r.data, r.metadata]) {
      pos = buf.writeUInt32LE(part.length, pos);
      pos += part.copy(buf, pos);
    }
  });
  return buf;
}

/** Inverse of encodeCommit; throws on a malformed payload. */
export function decodeCommit(payload: Buffer): EventRecord[] {
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > payload.length) throw new RangeError('truncated commit payload');
  };
  need(4);
  const count = payload.readUInt32LE(pos);
  pos += 4;
  const records: EventRecord[] = [];
  const part = (): Buffer => {
    need(4);
    const len = payload.readUInt32LE(pos);
    pos += 4;
    need(len);
    const b = Buffer.from(payload.subarray(pos, pos + len));
    pos += len;
    return b;
  };
  for (let i = 0; i < count; i++) {
    need(24);
    const position = payload.readDoubleLE(pos);
    const revision = payload.readBigInt64LE(pos + 8);
    const created = payload.readDoubleLE(pos + 16);
    pos += 24;
    const streamId = part().toString('utf8');
    const eventId = part().toString('utf8');
    const eventType = part().toString('utf8');
    const contentType = part().toString('utf8');
    const data = part();
    const metadata = part();
    records.push({ position, streamId, revision, eventId, eventType, contentType, created, data, metadata });
  }
  if (pos !== payload.length) throw new RangeError('trailing bytes in commit payload');
  return records;
}
