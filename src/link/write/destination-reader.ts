import { BACKWARDS, END, FORWARDS, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { rawBytesOf } from '../../client/raw-bytes.js';

/** What the writer needs to know about an event already in the destination. */
export interface DestinationEvent {
  id: string;
  type: string;
  revision: bigint;
  data: Uint8Array;
  metadata: Uint8Array;
}

async function collect(iterable: AsyncIterable<{ event?: unknown }>): Promise<DestinationEvent[]> {
  const out: DestinationEvent[] = [];
  try {
    for await (const resolved of iterable) {
      const e = resolved.event as { id: string; type: string; revision: bigint } | undefined;
      if (!e) continue;
      const raw = rawBytesOf(e as never);
      out.push({ id: e.id, type: e.type, revision: e.revision, data: raw.data, metadata: raw.metadata });
    }
  } catch (err) {
    // A missing (or soft-deleted) stream holds nothing we could compare with.
    if (err instanceof StreamNotFoundError) return out;
    throw err;
  }
  return out;
}

/** Reads the destination only after a wrong-expected-version answer: never before ordinary writes. */
export class DestinationReader {
  constructor(private readonly client: EventStoreDBClient) {}

  forward(stream: string, from: bigint, count: number): Promise<DestinationEvent[]> {
    return collect(this.client.readStream(stream, { direction: FORWARDS, fromRevision: from, maxCount: count }));
  }

  /** The newest `count` events, newest first. */
  tail(stream: string, count: number): Promise<DestinationEvent[]> {
    return collect(this.client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: count }));
  }
}
