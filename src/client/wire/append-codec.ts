import type { AppendExpectedRevision, CurrentRevision, Position } from '@eventstore/db-client';
import { ProtoReader } from '../../shared/protobuf/proto-reader.js';
import { decodeUuid } from './uuid-codec.js';
import { ProtoWriter } from '../../shared/protobuf/proto-writer.js';
import type { RawEventInput } from '../raw-bytes.js';

/**
 * Hand-written encoding of the Streams service's append messages (`streams.proto`, `shared.proto`,
 * `status.proto` of EventStoreDB's v1 gRPC API), for the link's destination writes.
 *
 * Why: google-protobuf builds one object per field of every event and copies data and metadata through
 * base64 strings; at tens of thousands of events a second that is the main thread's largest cost. Sizes
 * are computed first, so every request is written once into a buffer of the right size. Data and
 * metadata bytes are copied as given: byte-exact copies are what the link promises.
 *
 * Field numbers: ProposedMessage { UUID id = 1; map<string,string> metadata = 2; bytes custom_metadata = 3;
 * bytes data = 4 } (same in AppendReq and BatchAppendReq); UUID { string string = 2 };
 * StreamIdentifier { bytes stream_name = 3 }.
 */

/** BatchAppend chunk size of the stock client (`batchAppendSize`). */
export const DEFAULT_BATCH_APPEND_SIZE = 3 * 1024 * 1024;

function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  let size = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) size++;
  return size;
}

function varintBigSize(value: bigint): number {
  let v = BigInt.asUintN(64, value);
  let size = 1;
  while (v > 0x7fn) {
    v >>= 7n;
    size++;
  }
  return size;
}

/** Size of a length-delimited field (single-byte tag) holding `length` bytes. */
function fieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

const TYPE_KEY = 'type';
const CONTENT_TYPE_KEY = 'content-type';

/** The parts of one proposed event whose sizes the encoder needs twice (chunking, then writing). */
interface SizedEvent {
  event: RawEventInput;
  idLength: number;
  typeLength: number;
  contentTypeLength: number;
  metadata: Uint8Array;
  /** Size of the ProposedMessage payload (without its own tag and length). */
  size: number;
}

function mapEntrySize(keyLength: number, valueLength: number): number {
  return fieldSize(keyLength) + fieldSize(valueLength);
}

function sized(event: RawEventInput): SizedEvent {
  const idLength = Buffer.byteLength(event.id);
  const typeLength = Buffer.byteLength(event.type);
  const contentTypeLength = Buffer.byteLength(event.contentType);
  const metadata = event.metadata ?? EMPTY;
  const size =
    fieldSize(fieldSize(idLength)) +
    fieldSize(mapEntrySize(TYPE_KEY.length, typeLength)) +
    fieldSize(mapEntrySize(CONTENT_TYPE_KEY.length, contentTypeLength)) +
    (metadata.length > 0 ? fieldSize(metadata.length) : 0) +
    (event.data.length > 0 ? fieldSize(event.data.length) : 0);
  return { event, idLength, typeLength, contentTypeLength, metadata, size };
}

const EMPTY = new Uint8Array(0);

function writeMapEntry(w: ProtoWriter, key: string, value: string, valueLength: number): void {
  w.tag(2, 2).varint(mapEntrySize(key.length, valueLength));
  w.string(1, key).string(2, value);
}

/** A ProposedMessage as field `field` of the enclosing message. */
function writeProposed(w: ProtoWriter, field: number, e: SizedEvent): void {
  w.tag(field, 2).varint(e.size);
  w.tag(1, 2).varint(fieldSize(e.idLength)).string(2, e.event.id);
  writeMapEntry(w, TYPE_KEY, e.event.type, e.typeLength);
  writeMapEntry(w, CONTENT_TYPE_KEY, e.event.contentType, e.contentTypeLength);
  if (e.metadata.length > 0) w.bytes(3, e.metadata);
  if (e.event.data.length > 0) w.bytes(4, e.event.data);
}

function streamIdentifierSize(nameLength: number): number {
  return fieldSize(fieldSize(nameLength));
}

function writeStreamIdentifier(w: ProtoWriter, name: Buffer): void {
  w.tag(1, 2).varint(fieldSize(name.length)).bytes(3, name);
}

/** The expected-revision oneof: a revision in field `revisionField`, Empty markers in the next three. */
function expectedSize(expected: AppendExpectedRevision): number {
  return typeof expected === 'bigint' ? 1 + varintBigSize(expected) : 2;
}

function writeExpected(w: ProtoWriter, expected: AppendExpectedRevision): void {
  switch (expected) {
    case 'no_stream':
      w.empty(3);
      return;
    case 'any':
      w.empty(4);
      return;
    case 'stream_exists':
      w.empty(5);
      return;
    default:
      // A zero revision is still written: it is a oneof member, absent would mean "no expectation".
      w.uint64(2, expected);
  }
}

// ---- classic Append ----

/**
 * The messages of one classic `Append` call: `AppendReq { options = 1 }`, then one
 * `AppendReq { proposed_message = 2 }` per event. They share one buffer (views, not copies).
 */
export function encodeAppendRequests(
  stream: string,
  expected: AppendExpectedRevision,
  events: readonly RawEventInput[],
): Buffer[] {
  const name = Buffer.from(stream, 'utf8');
  const optionsSize = streamIdentifierSize(name.length) + expectedSize(expected);
  const all = events.map(sized);
  let total = fieldSize(optionsSize);
  for (const e of all) total += fieldSize(e.size);
  const w = new ProtoWriter(total + 16);
  w.tag(1, 2).varint(optionsSize);
  writeStreamIdentifier(w, name);
  writeExpected(w, expected);
  const whole = w.view();
  const messages: Buffer[] = [whole];
  let start = whole.length;
  for (const e of all) {
    writeProposed(w, 2, e);
    const view = w.view();
    messages.push(view.subarray(start));
    start = view.length;
  }
  return messages;
}

// ---- BatchAppend ----

export interface BatchAppendRequest {
  /** UUID text; the response carries it back. */
  correlationId: string;
  stream: string;
  expected: AppendExpectedRevision;
  /** Absolute deadline the server applies to this append (`options.deadline`). */
  deadline: Date;
  events: readonly RawEventInput[];
  /** Events are split into chunks of at most this many bytes of proposed messages (one event may exceed it). */
  maxChunkBytes?: number;
}

function timestampSize(seconds: number, nanos: number): number {
  return (seconds !== 0 ? 1 + varintSize(seconds) : 0) + (nanos !== 0 ? 1 + varintSize(nanos) : 0);
}

/**
 * The messages of one append over the BatchAppend stream: `BatchAppendReq { correlation_id = 1; options = 2
 * (first chunk only); repeated proposed_messages = 3; is_final = 4 (last chunk only) }`. Like the stock
 * client, events are split into chunks of about `maxChunkBytes` (gRPC messages have a size limit); the
 * server answers once, after the chunk marked final.
 */
export function encodeBatchAppendRequests(req: BatchAppendRequest): Buffer[] {
  const max = req.maxChunkBytes ?? DEFAULT_BATCH_APPEND_SIZE;
  const name = Buffer.from(req.stream, 'utf8');
  const ms = req.deadline.getTime();
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  const tsSize = timestampSize(seconds, nanos);
  const optionsSize = streamIdentifierSize(name.length) + expectedSize(req.expected) + fieldSize(tsSize);
  const correlationLength = Buffer.byteLength(req.correlationId);
  const correlationSize = fieldSize(fieldSize(correlationLength));

  const all = req.events.map(sized);
  const chunks: { from: number; to: number; bytes: number }[] = [];
  let from = 0;
  let bytes = 0;
  for (let i = 0; i < all.length; i++) {
    const size = fieldSize(all[i]!.size);
    if (i > from && bytes + size > max) {
      chunks.push({ from, to: i, bytes });
      from = i;
      bytes = 0;
    }
    bytes += size;
  }
  chunks.push({ from, to: all.length, bytes });

  return chunks.map((chunk, index) => {
    const first = index === 0;
    const last = index === chunks.length - 1;
    const total = correlationSize + (first ? fieldSize(optionsSize) : 0) + chunk.bytes + (last ? 2 : 0);
    const w = new ProtoWriter(total + 16);
    w.tag(1, 2).varint(fieldSize(correlationLength)).string(2, req.correlationId);
    if (first) {
      w.tag(2, 2).varint(optionsSize);
      writeStreamIdentifier(w, name);
      writeExpected(w, req.expected);
      w.tag(6, 2).varint(tsSize);
      if (seconds !== 0) w.uint64(1, seconds);
      if (nanos !== 0) w.uint64(2, nanos);
    }
    for (let i = chunk.from; i < chunk.to; i++) writeProposed(w, 3, all[i]!);
    if (last) w.uint64(4, 1);
    return w.view();
  });
}

// ---- responses ----

/** Why the server refused an append (`google.rpc.Status` details, or AppendResp.wrong_expected_version). */
export type AppendFailure =
  | { kind: 'wrong-expected-version'; current: CurrentRevision; expected: AppendExpectedRevision }
  | { kind: 'stream-deleted' }
  | { kind: 'access-denied' }
  | { kind: 'timeout' }
  | { kind: 'unknown' }
  | { kind: 'maximum-append-size-exceeded'; maxAppendSize: number }
  | { kind: 'unrecognized'; code: number; message: string; typeName: string };

export interface AppendSuccess {
  kind: 'success';
  /** Revision of the stream's last event; -1n when the stream does not exist (an empty append). */
  currentRevision: bigint;
  position: Position | undefined;
}

export type AppendOutcome = AppendSuccess | AppendFailure;

export interface BatchAppendResponse {
  /** Lower-case UUID text; `undefined` when the response carries none. */
  correlationId: string | undefined;
  streamName: string | undefined;
  outcome: AppendOutcome;
}

/** Success { current_revision = 1 | no_stream = 2; position = 3 { commit = 1; prepare = 2 } | no_position = 4 }. */
function decodeSuccess(r: ProtoReader): AppendSuccess {
  let currentRevision = -1n;
  let position: Position | undefined;
  while (!r.done) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 0:
        currentRevision = r.uint64();
        break;
      case (2 << 3) | 2:
        r.span();
        currentRevision = -1n;
        break;
      case (3 << 3) | 2:
        position = decodePosition(r.sub());
        break;
      case (4 << 3) | 2:
        r.span();
        position = undefined;
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return { kind: 'success', currentRevision, position };
}

function decodePosition(r: ProtoReader): Position {
  let commit = 0n;
  let prepare = 0n;
  while (!r.done) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 0)) commit = r.uint64();
    else if (tag === ((2 << 3) | 0)) prepare = r.uint64();
    else r.skip(tag & 7);
  }
  return { commit, prepare };
}

/** Fields of a WrongExpectedVersion message, located by number: the classic and the BatchAppend ones differ. */
interface WevFields {
  currentRevision: number;
  currentNoStream: number;
  expectedRevision: number;
  expectedAny: number;
  expectedStreamExists: number;
  expectedNoStream: number | undefined;
}

interface WevReading {
  current: CurrentRevision | undefined;
  expected: AppendExpectedRevision | undefined;
}

function readWev(r: ProtoReader, fields: WevFields, into: WevReading): void {
  const tag = r.uint32();
  const field = tag >>> 3;
  if (field === fields.currentRevision && (tag & 7) === 0) into.current = r.uint64();
  else if (field === fields.currentNoStream && (tag & 7) === 2) {
    r.span();
    into.current = 'no_stream';
  } else if (field === fields.expectedRevision && (tag & 7) === 0) into.expected = r.uint64();
  else if (field === fields.expectedAny && (tag & 7) === 2) {
    r.span();
    into.expected = 'any';
  } else if (field === fields.expectedStreamExists && (tag & 7) === 2) {
    r.span();
    into.expected = 'stream_exists';
  } else if (field === fields.expectedNoStream && (tag & 7) === 2) {
    r.span();
    into.expected = 'no_stream';
  } else r.skip(tag & 7);
}

/** shared.proto WrongExpectedVersion (BatchAppend's Status details). */
const SHARED_WEV: WevFields = {
  currentRevision: 1,
  currentNoStream: 2,
  expectedRevision: 3,
  expectedAny: 4,
  expectedStreamExists: 5,
  expectedNoStream: 6,
};
/** AppendResp.WrongExpectedVersion, current fields (the ones the v6 client reads). */
const APPEND_WEV: WevFields = {
  currentRevision: 6,
  currentNoStream: 7,
  expectedRevision: 8,
  expectedAny: 9,
  expectedStreamExists: 10,
  expectedNoStream: 11,
};
/** AppendResp.WrongExpectedVersion, 20.6.0-era fields, which servers still fill; used when the others are absent. */
const APPEND_WEV_20_6: WevFields = {
  currentRevision: 1,
  currentNoStream: 2,
  expectedRevision: 3,
  expectedAny: 4,
  expectedStreamExists: 5,
  expectedNoStream: undefined,
};

function decodeSharedWev(value: Buffer): AppendFailure {
  const reading: WevReading = { current: undefined, expected: undefined };
  const r = new ProtoReader(value, 0, value.length);
  while (!r.done) readWev(r, SHARED_WEV, reading);
  // As the client: no current revision means no stream; no expectation means `any`.
  return {
    kind: 'wrong-expected-version',
    current: reading.current ?? 'no_stream',
    expected: reading.expected ?? 'any',
  };
}

function decodeAppendWev(r: ProtoReader): AppendFailure {
  const current: WevReading = { current: undefined, expected: undefined };
  const legacy: WevReading = { current: undefined, expected: undefined };
  const start = r.pos;
  while (!r.done) readWev(r, APPEND_WEV, current);
  r.pos = start;
  while (!r.done) readWev(r, APPEND_WEV_20_6, legacy);
  return {
    kind: 'wrong-expected-version',
    current: current.current ?? legacy.current ?? 'no_stream',
    expected: current.expected ?? legacy.expected ?? 'any',
  };
}

/** `AppendResp { success = 1 | wrong_expected_version = 2 }` (classic Append). */
export function decodeAppendResp(buf: Buffer): AppendOutcome {
  const r = new ProtoReader(buf, 0, buf.length);
  let outcome: AppendOutcome | undefined;
  while (!r.done) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 2)) outcome = decodeSuccess(r.sub());
    else if (tag === ((2 << 3) | 2)) outcome = decodeAppendWev(r.sub());
    else r.skip(tag & 7);
  }
  if (!outcome) throw new RangeError('AppendResp has neither success nor wrong_expected_version');
  return outcome;
}

function decodeStreamIdentifier(r: ProtoReader): string {
  let name = '';
  while (!r.done) {
    const tag = r.uint32();
    if (tag === ((3 << 3) | 2)) name = r.string();
    else r.skip(tag & 7);
  }
  return name;
}

const TYPE_URL_PREFIX = 'event_store.client.';

/** `google.rpc.Status { code = 1; message = 2; google.protobuf.Any details = 3 { type_url = 1; value = 2 } }`. */
function decodeStatus(r: ProtoReader): AppendFailure {
  let code = 0;
  let message = '';
  let typeName = '';
  let value: Buffer = Buffer.alloc(0);
  while (!r.done) {
    const tag = r.uint32();
    if (tag === ((1 << 3) | 0)) code = Number(BigInt.asIntN(32, r.uint64()));
    else if (tag === ((2 << 3) | 2)) message = r.string();
    else if (tag === ((3 << 3) | 2)) {
      const any = r.sub();
      while (!any.done) {
        const t = any.uint32();
        if (t === ((1 << 3) | 2)) {
          // Like google-protobuf's Any.getTypeName(): what follows the last '/'.
          const url = any.string();
          typeName = url.slice(url.lastIndexOf('/') + 1);
        } else if (t === ((2 << 3) | 2)) value = any.bytes();
        else any.skip(t & 7);
      }
    } else r.skip(tag & 7);
  }
  const name = typeName.startsWith(TYPE_URL_PREFIX) ? typeName.slice(TYPE_URL_PREFIX.length) : undefined;
  switch (name) {
    case 'WrongExpectedVersion':
      return decodeSharedWev(value);
    case 'StreamDeleted':
      // Its stream_identifier repeats the response's own; the client names the stream from the latter.
      return { kind: 'stream-deleted' };
    case 'AccessDenied':
      return { kind: 'access-denied' };
    case 'Timeout':
      return { kind: 'timeout' };
    case 'Unknown':
      return { kind: 'unknown' };
    case 'MaximumAppendSizeExceeded': {
      const d = new ProtoReader(value, 0, value.length);
      let maxAppendSize = 0;
      while (!d.done) {
        const t = d.uint32();
        if (t === ((1 << 3) | 0)) maxAppendSize = d.uint32();
        else d.skip(t & 7);
      }
      return { kind: 'maximum-append-size-exceeded', maxAppendSize };
    }
    default:
      return { kind: 'unrecognized', code, message, typeName };
  }
}

/**
 * `BatchAppendResp { correlation_id = 1; error = 2 (google.rpc.Status) | success = 3; stream_identifier = 4;
 * expected_stream_position = 5..8 }`. The echoed expectation is not needed: the caller knows what it sent.
 */
export function decodeBatchAppendResp(buf: Buffer): BatchAppendResponse {
  const r = new ProtoReader(buf, 0, buf.length);
  let correlationId: string | undefined;
  let streamName: string | undefined;
  let outcome: AppendOutcome | undefined;
  while (!r.done) {
    const tag = r.uint32();
    switch (tag) {
      case (1 << 3) | 2:
        correlationId = decodeUuid(r.sub())?.toLowerCase();
        break;
      case (2 << 3) | 2:
        outcome = decodeStatus(r.sub());
        break;
      case (3 << 3) | 2:
        outcome = decodeSuccess(r.sub());
        break;
      case (4 << 3) | 2:
        streamName = decodeStreamIdentifier(r.sub());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  if (!outcome) throw new RangeError('BatchAppendResp has neither error nor success');
  return { correlationId, streamName, outcome };
}
