import { createRequire } from 'node:module';
import type { EventData, EventType, RecordedEvent } from '@eventstore/db-client';
import { LinkerError } from '../shared/errors.js';

/**
 * Byte-exact event payloads through `@eventstore/db-client` 6.2.1.
 *
 * Why: the client JSON.parses `application/json` data on reads and JSON.stringifies it on writes, which
 * changes the bytes (whitespace, key order of duplicates, numbers beyond 2^53 such as `$tb` =
 * long.MaxValue in soft-delete metadata). A replica must keep the bytes. The client is pinned to 6.2.1
 * and ships no `exports` map, so we hook two internal seams, checked at install time:
 *  - reads: `convertGrpcRecord` (called through its module's `exports`) gets the raw data and metadata
 *    attached under a symbol;
 *  - writes: the generated `ProposedMessage.setData` swaps a placeholder token that the client's
 *    JSON.stringify produced for the raw bytes registered under that token.
 * Metadata needs no hook: the client passes a plain `Uint8Array` through untouched.
 */
const require = createRequire(import.meta.url);
const RAW = Symbol.for('esdb-linker.raw-bytes');
const TOKEN_PREFIX = '\u0000esdbl-raw:';
// JSON.stringify escapes U+0000, so the serialized token text starts with this:
const SERIALIZED_PREFIX = JSON.stringify(TOKEN_PREFIX).slice(0, -1);
const MAX_TOKEN_BASE64 = 96;

export interface RawBytes {
  data: Uint8Array;
  metadata: Uint8Array;
}

interface GrpcRecordLike {
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
  getMetadataMap(): { get(key: string): string | undefined };
  getStreamIdentifier(): { getStreamName_asU8(): Uint8Array } | undefined;
  getId(): unknown;
  getStreamRevision(): string | number;
  getCommitPosition(): string | number | undefined;
  getPreparePosition(): string | number | undefined;
}

const TICKS_PER_MS = 10_000n;
const NOT_PARSED = Symbol('not-parsed');

/**
 * Replaces the client's converted record (same fields, same values) with one that keeps the raw bytes and
 * parses `data` and `metadata` only when read: the link needs the bytes, not the parse, on every event.
 * A class keeps one object shape for every event, which matters at tens of thousands of events a second.
 */
class RecordedEventView {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly isJson: boolean;
  readonly created: Date;
  readonly position: { commit: bigint; prepare: bigint } | undefined;
  readonly [RAW]: RawBytes;
  #data: unknown = NOT_PARSED;
  #metadata: unknown = NOT_PARSED;

  constructor(record: GrpcRecordLike, parseUUID: (id: unknown) => string) {
    const map = record.getMetadataMap();
    this.type = map.get('type') ?? '<no-event-type-provided>';
    this.isJson = (map.get('content-type') ?? 'application/octet-stream') === 'application/json';
    const identifier = record.getStreamIdentifier();
    if (!identifier) throw new Error('Impossible situation where streamIdentifier is undefined in a recorded event');
    this.streamId = Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
    this.id = parseUUID(record.getId());
    const created = map.get('created');
    this.created = new Date(created == null ? 0 : Number(BigInt(created) / TICKS_PER_MS));
    this.revision = BigInt(record.getStreamRevision());
    const commit = record.getCommitPosition();
    const prepare = record.getPreparePosition();
    this.position =
      commit != null && prepare != null ? { commit: BigInt(commit), prepare: BigInt(prepare) } : undefined;
    this[RAW] = { data: record.getData_asU8(), metadata: record.getCustomMetadata_asU8() };
  }

  get data(): unknown {
    if (this.#data === NOT_PARSED) this.#data = this.isJson ? parseJsonData(this[RAW].data) : this[RAW].data;
    return this.#data;
  }

  set data(value: unknown) {
    this.#data = value;
  }

  get metadata(): unknown {
    if (this.#metadata === NOT_PARSED) this.#metadata = parseMetadata(this[RAW].metadata);
    return this.#metadata;
  }

  set metadata(value: unknown) {
    this.#metadata = value;
  }

  toJSON(): object {
    return { ...this, data: this.data, metadata: this.metadata };
  }
}

// Same outcomes as the client's safeParseJSON / parseMetadata in dist/utils/convertGrpcEvent.js.
function parseJsonData(bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseMetadata(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return bytes;
  }
}

interface ProposedMessageClass {
  prototype: { setData(value: string | Uint8Array): unknown };
}

const pending = new Map<string, Uint8Array>();
// Tokens die with their EventData: a retried append reuses the same objects, so consumption cannot free them.
const cleanup = new FinalizationRegistry<string>((token) => pending.delete(token));
let counter = 0;
let installed = false;

function incompatible(what: string): LinkerError {
  return new LinkerError(
    'ESDBL_CLIENT_INCOMPATIBLE',
    `@eventstore/db-client internals changed (${what}); esdb-linker needs version 6.2.1 for byte-exact copies`,
  );
}

/** Installs the hooks once per process. Safe to call many times. */
export function installRawBytes(): void {
  if (installed) return;
  const conv = require('@eventstore/db-client/dist/utils/convertGrpcEvent.js') as {
    convertGrpcRecord?: (record: GrpcRecordLike) => object;
  };
  if (typeof conv.convertGrpcRecord !== 'function') throw incompatible('convertGrpcRecord not found');
  const uuid = require('@eventstore/db-client/dist/utils/grpcUUID.js') as { parseUUID?: (id: unknown) => string };
  if (typeof uuid.parseUUID !== 'function') throw incompatible('parseUUID not found');
  const parseUUID = uuid.parseUUID;
  conv.convertGrpcRecord = (record: GrpcRecordLike) => new RecordedEventView(record, parseUUID);

  const pb = require('@eventstore/db-client/generated/streams_pb.js') as {
    AppendReq?: { ProposedMessage?: ProposedMessageClass };
    BatchAppendReq?: { ProposedMessage?: ProposedMessageClass };
  };
  for (const cls of [pb.AppendReq?.ProposedMessage, pb.BatchAppendReq?.ProposedMessage]) {
    if (!cls || typeof cls.prototype.setData !== 'function') throw incompatible('ProposedMessage.setData not found');
    const setData = cls.prototype.setData;
    cls.prototype.setData = function (value: string | Uint8Array) {
      if (typeof value === 'string' && pending.size > 0 && value.length <= MAX_TOKEN_BASE64) {
        const text = Buffer.from(value, 'base64').toString('utf8');
        if (text.startsWith(SERIALIZED_PREFIX)) {
          const raw = pending.get(JSON.parse(text) as string);
          if (raw) return setData.call(this, raw);
        }
      }
      return setData.call(this, value);
    };
  }
  installed = true;
}

/** The exact data and metadata bytes of an event read through a client after `installRawBytes()`. */
export function rawBytesOf(event: RecordedEvent | EventType): RawBytes {
  const raw = (event as unknown as Record<symbol, RawBytes | undefined>)[RAW];
  if (!raw)
    throw new LinkerError(
      'ESDBL_CLIENT_RAW_BYTES_MISSING',
      'raw event bytes unavailable: call installRawBytes() before reading',
    );
  return raw;
}

function plainUint8Array(bytes: Uint8Array): Uint8Array {
  // The client only passes metadata through untouched when `constructor === Uint8Array` (a Buffer is not).
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface RawEventInput {
  id: string;
  type: string;
  contentType: 'application/json' | 'application/octet-stream';
  data: Uint8Array;
  /** Empty or absent = no metadata. */
  metadata?: Uint8Array;
}

/** An EventData whose data and metadata reach the server byte for byte, whatever the content type. */
export function rawEvent(input: RawEventInput): EventData {
  installRawBytes();
  const metadata = input.metadata && input.metadata.length > 0 ? plainUint8Array(input.metadata) : undefined;
  if (input.contentType === 'application/octet-stream') {
    return {
      id: input.id,
      type: input.type,
      contentType: input.contentType,
      data: plainUint8Array(input.data),
      metadata,
    };
  }
  const token = `${TOKEN_PREFIX}${(counter++).toString(36)}`;
  pending.set(token, plainUint8Array(input.data));
  const event = {
    id: input.id,
    type: input.type,
    contentType: input.contentType,
    data: token,
    metadata,
  } as unknown as EventData;
  cleanup.register(event, token);
  return event;
}
