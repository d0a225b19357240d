import {
  BACKWARDS,
  END,
  FORWARDS,
  START,
  StreamDeletedError,
  StreamNotFoundError,
  type EventStoreDBClient,
  type RecordedEvent,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import { rawBytesOf } from '../client/raw-bytes.js';
import { parseJsonObjectBytes, type JsonObjectText } from '../shared/json-object-text.js';
import { readFailure, type Side } from './read-failure.js';

/** Soft delete sets `$tb` to long.MaxValue; compared as text because JSON numbers cannot hold it. */
export const SOFT_DELETE_TB = '9223372036854775807';

export type CursorState = 'open' | 'no-stream' | 'tombstoned';

/** Forward reader of one stream that tells "not found" and "tombstoned" apart from reading events. */
export class StreamCursor {
  private read: StreamingRead<ResolvedEvent> | undefined;
  private iterator: AsyncIterator<ResolvedEvent> | undefined;
  private pending: RecordedEvent | undefined;
  private finished = false;
  state: CursorState = 'open';

  /** `select`: events it returns false for are read past, as if the stream did not hold them. */
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly side: Side,
    readonly stream: string,
    private readonly select?: (event: RecordedEvent) => boolean,
  ) {}

  /** Reads the first event (if any) so the state is known. */
  async open(): Promise<void> {
    this.read = this.client.readStream(this.stream, { fromRevision: START, direction: FORWARDS });
    this.iterator = this.read[Symbol.asyncIterator]();
    this.pending = await this.pull();
  }

  /** After `open()`: whether the stream has at least one readable event. */
  get hasEvents(): boolean {
    return this.pending !== undefined;
  }

  /** The next event, or undefined at the end (and for missing or deleted streams). */
  async next(): Promise<RecordedEvent | undefined> {
    if (this.pending) {
      const event = this.pending;
      this.pending = undefined;
      return event;
    }
    return this.pull();
  }

  /** Stops the read (cancels the gRPC call when the stream was not read to its end). */
  async close(): Promise<void> {
    if (this.finished || !this.read) return;
    this.finished = true;
    // Destroying the client's stream alone leaves the gRPC call open (paused); cancel ends the call.
    await this.read.cancel();
  }

  private async pull(): Promise<RecordedEvent | undefined> {
    if (this.finished || !this.iterator) return undefined;
    try {
      for (;;) {
        const result = await this.iterator.next();
        if (result.done) {
          this.finished = true;
          return undefined;
        }
        const event = result.value.event;
        if (event && (this.select === undefined || this.select(event))) return event;
      }
    } catch (err) {
      this.finished = true;
      if (err instanceof StreamNotFoundError) {
        this.state = 'no-stream';
        return undefined;
      }
      if (err instanceof StreamDeletedError) {
        this.state = 'tombstoned';
        return undefined;
      }
      throw readFailure(this.side, `reading stream ${JSON.stringify(this.stream)}`, err);
    }
  }
}

/** The latest `$metadata` of a stream, as the server applies it. */
export type StreamMetadataView =
  | { status: 'none' }
  | { status: 'tombstoned' }
  | { status: 'object'; entries: JsonObjectText }
  | { status: 'invalid'; bytes: Uint8Array };

export async function readStreamMetadata(
  client: EventStoreDBClient,
  side: Side,
  stream: string,
): Promise<StreamMetadataView> {
  const metastream = `$$${stream}`;
  try {
    let latest: RecordedEvent | undefined;
    for await (const resolved of client.readStream(metastream, {
      fromRevision: END,
      direction: BACKWARDS,
      maxCount: 1,
    })) {
      latest = resolved.event;
    }
    if (!latest) return { status: 'none' };
    const bytes = rawBytesOf(latest).data;
    const entries = parseJsonObjectBytes(bytes);
    return entries ? { status: 'object', entries } : { status: 'invalid', bytes };
  } catch (err) {
    if (err instanceof StreamNotFoundError) return { status: 'none' };
    if (err instanceof StreamDeletedError) return { status: 'tombstoned' };
    throw readFailure(side, `reading the metadata of stream ${JSON.stringify(stream)}`, err);
  }
}
