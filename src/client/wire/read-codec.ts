import { ProtoReader } from '../../shared/protobuf/proto-reader.js';
import { decodeUuid } from './uuid-codec.js';
import { ProtoWriter } from '../../shared/protobuf/proto-writer.js';
import { LinkerError } from '../../shared/errors.js';

/**
 * The `$all` subscription's request and responses (Streams.Read), encoded and decoded by hand.
 *
 * Why: google-protobuf builds one object per field of every `ReadResp` and the client then converts those
 * into its own event objects; on a busy origin that is most of the reader thread's CPU. Decoding straight
 * from the message buffer gives the same values with data and metadata as views (no copy).
 *
 * Field numbers: streams.proto / shared.proto (src/emulator/protos, checked against 6.2.1's generated code).
 * Values follow the client's conversions (dist/utils/convertGrpcEvent.js, dist/streams/utils/Subscription.js):
 * type '<no-event-type-provided>' and content type 'application/octet-stream' when absent, `created` ticks
 * divided by 10 000 (epoch 0 when absent or not a number), metadata map entries last-wins with '' defaults.
 */

export type AllFrom = 'start' | 'end' | { commit: bigint; prepare: bigint };

export interface AllFilterOptions {
  /** What the regex and prefixes match: the stream name or the event type. */
  on: 'stream-name' | 'event-type';
  regex?: string;
  prefixes?: readonly string[];
  /** The server's `max` search window; absent: the `count` window, as the client sends by default. */
  maxSearchWindow?: number;
  /** Checkpoint every `checkpointInterval` × the server's read page. */
  checkpointInterval: number;
}

export interface SubscribeToAllRequest {
  /** The subscription starts after this position (exclusive), like the client's `fromPosition`. */
  from: AllFrom;
  /** @defaultValue false */
  resolveLinks?: boolean;
  /** Absent: no filter. */
  filter?: AllFilterOptions;
  /** How the server sends event ids. The client always asks for strings. @defaultValue 'string' */
  uuid?: 'string' | 'structured';
}

const UINT32_MAX = 0xffff_ffff;

function badOption(message: string): LinkerError {
  return new LinkerError('ESDBL_CLIENT_BAD_OPTION', message);
}

function positiveUint32(value: number, name: string): number {
  if (!Number.isInteger(value) || value <= 0 || value > UINT32_MAX) {
    throw badOption(`${name} must be an integer from 1 to ${UINT32_MAX}, got ${value}`);
  }
  return value;
}

/**
 * `ReadReq` of `subscribeToAll`, field for field what 6.2.1's `subscribeToAll` sends for the same options
 * (and in the same order, so the bytes match google-protobuf's).
 */
export function encodeSubscribeToAllReq(request: SubscribeToAllRequest): Buffer {
  const all = new ProtoWriter(32);
  const from = request.from;
  if (from === 'start') all.empty(2);
  else if (from === 'end') all.empty(3);
  else {
    const position = new ProtoWriter(24);
    if (from.commit !== 0n) position.uint64(1, from.commit);
    if (from.prepare !== 0n) position.uint64(2, from.prepare);
    all.bytes(1, position.finish());
  }

  const options = new ProtoWriter(256);
  options.bytes(2, all.finish());
  if (request.resolveLinks === true) options.tag(4, 0).varint(1);
  options.empty(6); // count_option.subscription
  const filter = request.filter;
  if (filter) options.bytes(7, encodeFilter(filter));
  else options.empty(8);
  const uuid = new ProtoWriter(4).empty(request.uuid === 'structured' ? 1 : 2).finish();
  options.bytes(9, uuid);
  return new ProtoWriter(300).bytes(1, options.finish()).finish();
}

function encodeFilter(filter: AllFilterOptions): Buffer {
  const expression = new ProtoWriter(128);
  if (filter.regex !== undefined && filter.regex.length > 0) expression.string(1, filter.regex);
  for (const prefix of filter.prefixes ?? []) expression.string(2, prefix);
  const out = new ProtoWriter(160);
  out.bytes(filter.on === 'stream-name' ? 1 : 2, expression.finish());
  if (filter.maxSearchWindow !== undefined) out.uint64(3, positiveUint32(filter.maxSearchWindow, 'maxSearchWindow'));
  else out.empty(4);
  out.uint64(5, positiveUint32(filter.checkpointInterval, 'checkpointInterval'));
  return out.finish();
}

/** One recorded event of a `ReadResp`, with the values the client's `convertGrpcRecord` would give. */
export interface ReadRespEvent {
  readonly kind: 'event';
  readonly streamId: string;
  /** Text as sent (string form), or canonical lower-case 8-4-4-4-12 (structured form). */
  readonly id: string;
  readonly revision: bigint;
  /** The event's own position in `$all` (RecordedEvent.commit_position / prepare_position). */
  readonly commit: bigint;
  readonly prepare: bigint;
  readonly type: string;
  readonly contentType: string;
  readonly isJson: boolean;
  /** Milliseconds since the epoch (`created` ticks / 10 000); NaN when beyond what a Date holds. */
  readonly createdMs: number;
  /** Views into the response buffer. */
  readonly data: Buffer;
  readonly metadata: Buffer;
  /** The event was reached through a link (ReadEvent.link is set; only with resolveLinks). */
  readonly link: boolean;
  /** ReadEvent.commit_position (the client's `resolved.commitPosition`); undefined for no_position. */
  readonly commitPosition: bigint | undefined;
}

export type ReadRespMessage =
  | ReadRespEvent
  | { readonly kind: 'checkpoint'; readonly commit: bigint; readonly prepare: bigint }
  | { readonly kind: 'caught-up' }
  | { readonly kind: 'fell-behind' }
  | { readonly kind: 'confirmation'; readonly subscriptionId: string }
  | { readonly kind: 'stream-not-found'; readonly streamId: string }
  /** Anything else: a ReadResp field a subscription does not use, an empty message, or a ReadEvent without
   * its own record (a link whose target is gone; the client gives `event: undefined` there). */
  | { readonly kind: 'other'; readonly field: number };

const CAUGHT_UP = { kind: 'caught-up' } as const;
const FELL_BEHIND = { kind: 'fell-behind' } as const;
const NO_TYPE = '<no-event-type-provided>';
const JSON_TYPE = 'application/json';
const OCTET_STREAM = 'application/octet-stream';
const KEY_TYPE = Buffer.from('type');
const KEY_CONTENT_TYPE = Buffer.from('content-type');
const KEY_CREATED = Buffer.from('created');
const JSON_BYTES = Buffer.from(JSON_TYPE);
const EMPTY = Buffer.alloc(0);
const OCTET_STREAM_BYTES = Buffer.from(OCTET_STREAM);

/** Decodes one `ReadResp`; unknown fields are skipped. Throws `ESDBL_CLIENT_BAD_RESPONSE` on malformed bytes. */
export function decodeReadResp(buf: Buffer): ReadRespMessage {
  try {
    return decodeContent(new ProtoReader(buf, 0, buf.length));
  } catch (err) {
    if (err instanceof LinkerError) throw err;
    throw badResponse(`malformed ReadResp: ${(err as Error).message}`, err);
  }
}

function badResponse(message: string, cause?: unknown): LinkerError {
  return new LinkerError('ESDBL_CLIENT_BAD_RESPONSE', message, cause === undefined ? {} : { cause });
}

function decodeContent(r: ProtoReader): ReadRespMessage {
  // `content` is a oneof: the last member on the wire wins, as in google-protobuf.
  let message: ReadRespMessage = { kind: 'other', field: 0 };
  while (!r.done) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 2 && field === 1) message = decodeReadEvent(r.sub());
    else if (wireType === 2 && field === 2) message = decodeConfirmation(r.sub());
    else if (wireType === 2 && field === 3) message = decodeCheckpoint(r.sub());
    else if (wireType === 2 && field === 4) message = decodeStreamNotFound(r.sub());
    else if (wireType === 2 && field === 8) {
      r.skip(2);
      message = CAUGHT_UP;
    } else if (wireType === 2 && field === 9) {
      r.skip(2);
      message = FELL_BEHIND;
    } else {
      r.skip(wireType);
      if (field >= 5 && field <= 7) message = { kind: 'other', field };
    }
  }
  return message;
}

function decodeReadEvent(r: ProtoReader): ReadRespMessage {
  let recordStart = -1;
  let recordEnd = -1;
  let link = false;
  let commitPosition: bigint | undefined;
  while (!r.done) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 2 && field === 1) {
      recordStart = r.skipBytes();
      recordEnd = r.pos;
    } else if (wireType === 2 && field === 2) {
      r.skip(2);
      link = true;
    } else if (wireType === 0 && field === 3) commitPosition = r.uint64();
    else if (wireType === 2 && field === 4) {
      r.skip(2);
      commitPosition = undefined;
    } else r.skip(wireType);
  }
  if (recordStart < 0) return { kind: 'other', field: 1 };
  return decodeRecordedEvent(new ProtoReader(r.buf, recordStart, recordEnd), link, commitPosition);
}

function decodeRecordedEvent(r: ProtoReader, link: boolean, commitPosition: bigint | undefined): ReadRespEvent {
  const buf = r.buf;
  let id: string | undefined;
  let streamId: string | undefined;
  let revision = 0n;
  let prepare = 0n;
  let commit = 0n;
  let data: Buffer | undefined;
  let metadata: Buffer | undefined;
  // Spans of the map values we use (-1: absent); decoded once at the end because later entries win.
  let typeStart = -1;
  let typeEnd = -1;
  let contentTypeStart = -1;
  let contentTypeEnd = -1;
  let createdStart = -1;
  let createdEnd = -1;
  while (!r.done) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 0) {
      if (field === 3) revision = r.uint64();
      else if (field === 4) prepare = r.uint64();
      else if (field === 5) commit = r.uint64();
      else r.skip(0);
    } else if (wireType === 2) {
      if (field === 1) id = decodeUuid(r.sub()) ?? '';
      else if (field === 2) streamId = decodeStreamIdentifier(r.sub());
      else if (field === 6) {
        const entry = r.sub();
        let keyStart = 0;
        let keyEnd = 0;
        let valueStart = 0;
        let valueEnd = 0;
        while (!entry.done) {
          const entryTag = entry.uint32();
          if (entryTag === 0x0a) {
            keyStart = entry.skipBytes();
            keyEnd = entry.pos;
          } else if (entryTag === 0x12) {
            valueStart = entry.skipBytes();
            valueEnd = entry.pos;
          } else entry.skip(entryTag & 7);
        }
        if (spanIs(buf, keyStart, keyEnd, KEY_TYPE)) {
          typeStart = valueStart;
          typeEnd = valueEnd;
        } else if (spanIs(buf, keyStart, keyEnd, KEY_CONTENT_TYPE)) {
          contentTypeStart = valueStart;
          contentTypeEnd = valueEnd;
        } else if (spanIs(buf, keyStart, keyEnd, KEY_CREATED)) {
          createdStart = valueStart;
          createdEnd = valueEnd;
        }
      } else if (field === 7) metadata = r.bytes();
      else if (field === 8) data = r.bytes();
      else r.skip(2);
    } else r.skip(wireType);
  }
  if (streamId === undefined) throw badResponse('a recorded event without stream_identifier');
  if (id === undefined) throw badResponse(`an event of ${streamId} without id`);
  const contentType = contentTypeStart < 0 ? OCTET_STREAM : knownText(buf, contentTypeStart, contentTypeEnd);
  return {
    kind: 'event',
    streamId,
    id,
    revision,
    commit,
    prepare,
    type: typeStart < 0 ? NO_TYPE : buf.toString('utf8', typeStart, typeEnd),
    contentType,
    isJson: contentType === JSON_TYPE,
    createdMs: createdStart < 0 ? 0 : ticksToMs(buf, createdStart, createdEnd),
    data: data ?? EMPTY,
    metadata: metadata ?? EMPTY,
    link,
    commitPosition,
  };
}

function spanIs(buf: Buffer, start: number, end: number, expected: Buffer): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (buf[start + i] !== expected[i]) return false;
  return true;
}

/** The two content types every event has, without a new string each time. */
function knownText(buf: Buffer, start: number, end: number): string {
  if (spanIs(buf, start, end, JSON_BYTES)) return JSON_TYPE;
  if (spanIs(buf, start, end, OCTET_STREAM_BYTES)) return OCTET_STREAM;
  return buf.toString('utf8', start, end);
}

const TICKS_PER_MS = 10_000n;

/** `created` is .NET ticks (100 ns) as decimal text; the client does `Number(BigInt(text) / 10000n)`. */
function ticksToMs(buf: Buffer, start: number, end: number): number {
  const digits = end - start;
  if (digits > 0 && digits <= 19) {
    // Dropping the last four digits is the division; what remains (≤ 15 digits) is exact in a double.
    let ms = 0;
    let i = start;
    for (; i < end; i++) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      if (i < end - 4) ms = ms * 10 + d;
    }
    if (i === end) return ms;
  }
  // Anything else (a sign, spaces, hex, huge numbers) goes through BigInt exactly like the client.
  try {
    // Through a Date as in the client: NaN beyond the range a Date holds.
    return new Date(Number(BigInt(buf.toString('utf8', start, end)) / TICKS_PER_MS)).getTime();
  } catch {
    return 0;
  }
}

function decodeStreamIdentifier(r: ProtoReader): string {
  let name = '';
  while (!r.done) {
    const tag = r.uint32();
    if (tag === 0x1a) name = r.string();
    else r.skip(tag & 7);
  }
  return name;
}

function decodeConfirmation(r: ProtoReader): ReadRespMessage {
  let subscriptionId = '';
  while (!r.done) {
    const tag = r.uint32();
    if (tag === 0x0a) subscriptionId = r.string();
    else r.skip(tag & 7);
  }
  return { kind: 'confirmation', subscriptionId };
}

function decodeCheckpoint(r: ProtoReader): ReadRespMessage {
  let commit = 0n;
  let prepare = 0n;
  while (!r.done) {
    const tag = r.uint32();
    if (tag === 0x08) commit = r.uint64();
    else if (tag === 0x10) prepare = r.uint64();
    else r.skip(tag & 7);
  }
  return { kind: 'checkpoint', commit, prepare };
}

function decodeStreamNotFound(r: ProtoReader): ReadRespMessage {
  let streamId = '';
  while (!r.done) {
    const tag = r.uint32();
    if (tag === 0x0a) streamId = decodeStreamIdentifier(r.sub());
    else r.skip(tag & 7);
  }
  return { kind: 'stream-not-found', streamId };
}
