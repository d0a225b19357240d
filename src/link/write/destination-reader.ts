import {
  BACKWARDS,
  END,
  FORWARDS,
  StreamNotFoundError,
  type EventStoreDBClient,
  type ReadStreamOptions,
} from '@eventstore/db-client';
import { readWithin } from '../../client/bounded-read.js';
import { rawBytesOf } from '../../client/raw-bytes.js';

/** What the writer needs to know about an event already in the destination. */
export interface DestinationEvent {
  id: string;
  type: string;
  revision: bigint;
  data: Uint8Array;
  metadata: Uint8Array;
}

/** Reads the destination only after a wrong-expected-version answer: never before ordinary writes. */
export class DestinationReader {
  /** `timeoutMs`: how long a read may go unanswered before it is retried on a new connection. */
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly timeoutMs: number,
  ) {}

  forward(stream: string, from: bigint, count: number): Promise<DestinationEvent[]> {
    return this.collect(stream, { direction: FORWARDS, fromRevision: from, maxCount: count });
  }

  /** The newest `count` events, newest first. */
  tail(stream: string, count: number): Promise<DestinationEvent[]> {
    return this.collect(stream, { direction: BACKWARDS, fromRevision: END, maxCount: count });
  }

  private async collect(stream: string, options: ReadStreamOptions): Promise<DestinationEvent[]> {
    const out: DestinationEvent[] = [];
    const what = `a read of ${stream} on the destination`;
    try {
      await readWithin(this.client, stream, options, this.timeoutMs, what, (resolved) => {
        const e = resolved.event as { id: string; type: string; revision: bigint } | undefined;
        if (!e) return;
        const raw = rawBytesOf(e as never);
        out.push({ id: e.id, type: e.type, revision: e.revision, data: raw.data, metadata: raw.metadata });
      });
    } catch (err) {
      // A missing (or soft-deleted) stream holds nothing we could compare with.
      if (err instanceof StreamNotFoundError) return [];
      throw err;
    }
    return out;
  }
}
