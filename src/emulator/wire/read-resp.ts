import type { EventRecord } from '../store/types.js';
import { MAX_LONG } from '../store/types.js';
import { ProtoWriter } from '../../shared/protobuf/proto-writer.js';
import { uuidToStructured } from './uuid.js';

/**
 * Hand-encoded `ReadResp { event = 1 }` messages, the hot path of reads and subscriptions. Field numbers
 * follow streams.proto: ReadEvent { event = 1, link = 2, commit_position = 3 | no_position = 4 } and
 * RecordedEvent { id = 1, stream_identifier = 2, stream_revision = 3, prepare_position = 4,
 * commit_position = 5, metadata = 6 (map<string,string>), custom_metadata = 7, data = 8 }.
 */

export type UuidForm = 'string' | 'structured';

/** .NET ticks (100 ns) since the Unix epoch, as the decimal text the client expects in `created`. */
export function createdTicks(createdMs: number): string {
  return `${Math.trunc(createdMs)}0000`;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** Length-delimited field size: tag + length varint + payload. */
function fieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function mapEntrySize(keyLen: number, valueLen: number): number {
  return fieldSize(keyLen) + fieldSize(valueLen);
}

/** UTF-8 length, counted in JS for short ASCII strings (a native call per string costs more here). */
function utf8Length(text: string): number {
  if (text.length > 64) return Buffer.byteLength(text);
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text);
  return text.length;
}

/** Encodes the common case (string UUID, no link, revision below 2^53) in one exact-size allocation. */
export function encodeSimpleEventResp(r: EventRecord): Buffer {
  const streamLen = utf8Length(r.streamId);
  const typeLen = utf8Length(r.eventType);
  const ctLen = utf8Length(r.contentType);
  const created = createdTicks(r.created);
  const uuidMsg = fieldSize(36);
  const streamMsg = fieldSize(streamLen);
  const revSize = r.revision === 0n ? 0 : varintSize(Number(r.revision));
  const posSize = varintSize(r.position);
  const typeEntry = mapEntrySize(4, typeLen);
  const ctEntry = mapEntrySize(12, ctLen);
  const createdEntry = mapEntrySize(7, created.length);
  const recorded =
    fieldSize(uuidMsg) +
    fieldSize(streamMsg) +
    (revSize === 0 ? 0 : 1 + revSize) +
    2 * (1 + posSize) +
    fieldSize(typeEntry) +
    fieldSize(ctEntry) +
    fieldSize(createdEntry) +
    (r.metadata.length > 0 ? fieldSize(r.metadata.length) : 0) +
    (r.data.length > 0 ? fieldSize(r.data.length) : 0);
  const readEvent = fieldSize(recorded) + 1 + posSize;
  const total = fieldSize(readEvent);
  const buf = Buffer.allocUnsafe(total);
  let p = 0;
  const varint = (v: number): void => {
    while (v >= 0x80) {
      buf[p++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    buf[p++] = v;
  };
  const lenField = (tag: number, len: number): void => {
    buf[p++] = tag;
    varint(len);
  };
  const str = (tag: number, s: string, len: number): void => {
    lenField(tag, len);
    if (len === s.length) {
      for (let i = 0; i < len; i++) buf[p++] = s.charCodeAt(i);
    } else {
      p += buf.write(s, p, 'utf8');
    }
  };
  const bytes = (tag: number, b: Buffer): void => {
    lenField(tag, b.length);
    p += b.copy(buf, p);
  };
  lenField(0x0a, readEvent); // ReadResp.event
  lenField(0x0a, recorded); // ReadEvent.event
  lenField(0x0a, uuidMsg); // RecordedEvent.id
  str(0x12, r.eventId, 36); // UUID.string
  lenField(0x12, streamMsg); // RecordedEvent.stream_identifier
  str(0x1a, r.streamId, streamLen); // StreamIdentifier.stream_name
  if (revSize > 0) {
    buf[p++] = 0x18;
    varint(Number(r.revision));
  }
  buf[p++] = 0x20;
  varint(r.position);
  buf[p++] = 0x28;
  varint(r.position);
  lenField(0x32, typeEntry);
  str(0x0a, 'type', 4);
  str(0x12, r.eventType, typeLen);
  lenField(0x32, ctEntry);
  str(0x0a, 'content-type', 12);
  str(0x12, r.contentType, ctLen);
  lenField(0x32, createdEntry);
  str(0x0a, 'created', 7);
  str(0x12, created, created.length);
  if (r.metadata.length > 0) bytes(0x3a, r.metadata);
  if (r.data.length > 0) bytes(0x42, r.data);
  buf[p++] = 0x18; // ReadEvent.commit_position
  varint(r.position);
  return buf;
}

function encodeUuid(id: string, form: UuidForm): Buffer {
  const w = new ProtoWriter(48);
  if (form === 'string') return w.string(2, id).finish();
  const { msb, lsb } = uuidToStructured(id);
  const inner = new ProtoWriter(24);
  inner.tag(1, 0).varintBig(msb).tag(2, 0).varintBig(lsb);
  return w.bytes(1, inner.finish()).finish();
}

function mapEntry(key: string, value: string): Buffer {
  return new ProtoWriter(64).string(1, key).string(2, value).finish();
}

export function encodeRecordedEvent(r: EventRecord, form: UuidForm): Buffer {
  const w = new ProtoWriter(256 + r.data.length + r.metadata.length);
  w.bytes(1, encodeUuid(r.eventId, form));
  w.bytes(2, new ProtoWriter(r.streamId.length * 3 + 8).bytes(3, Buffer.from(r.streamId, 'utf8')).finish());
  if (r.revision !== 0n) w.uint64(3, r.revision === MAX_LONG ? MAX_LONG : Number(r.revision));
  w.uint64(4, r.position);
  w.uint64(5, r.position);
  w.bytes(6, mapEntry('type', r.eventType));
  w.bytes(6, mapEntry('content-type', r.contentType));
  w.bytes(6, mapEntry('created', createdTicks(r.created)));
  if (r.metadata.length > 0) w.bytes(7, r.metadata);
  if (r.data.length > 0) w.bytes(8, r.data);
  return w.finish();
}

/** A complete ReadResp for one event, optionally resolved through a link record (general, slower path). */
export function encodeEventResp(
  event: EventRecord | undefined,
  link: EventRecord | undefined,
  commitPosition: number | undefined,
  form: UuidForm,
): Buffer {
  const readEvent = new ProtoWriter(512);
  if (event !== undefined) readEvent.bytes(1, encodeRecordedEvent(event, form));
  if (link !== undefined) readEvent.bytes(2, encodeRecordedEvent(link, form));
  if (commitPosition === undefined) readEvent.empty(4);
  else readEvent.uint64(3, commitPosition);
  return new ProtoWriter(1024).bytes(1, readEvent.finish()).finish();
}

/**
 * The common case: string UUIDs, no link, position = the event's own. Not cached on the record: a cache kept
 * every read event's encoding for the log's lifetime, doubling memory per stored event.
 */
export function simpleEventResp(r: EventRecord): Buffer {
  return r.revision === MAX_LONG ? encodeEventResp(r, undefined, r.position, 'string') : encodeSimpleEventResp(r);
}
