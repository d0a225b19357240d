import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  END,
  jsonEvent,
  StreamNotFoundError,
  type EventStoreDBClient,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { checkpointStreamName, type CheckpointData } from '../../src/link/bookkeeping.js';

export interface EventView {
  revision: bigint;
  id: string;
  type: string;
  isJson: boolean;
  data: string;
}

function view(e: ResolvedEvent): EventView | undefined {
  const ev = e.event;
  if (!ev) return undefined;
  const data = ev.data instanceof Uint8Array ? Buffer.from(ev.data).toString('base64') : JSON.stringify(ev.data);
  return { revision: ev.revision, id: ev.id, type: ev.type, isJson: ev.isJson, data };
}

/** Every event of a stream (empty when it does not exist). */
export async function readStreamEvents(client: EventStoreDBClient, stream: string): Promise<EventView[]> {
  const out: EventView[] = [];
  try {
    for await (const e of client.readStream(stream)) {
      const v = view(e);
      if (v) out.push(v);
    }
  } catch (err) {
    if (err instanceof StreamNotFoundError) return [];
    throw err;
  }
  return out;
}

export async function streamLength(client: EventStoreDBClient, stream: string): Promise<number> {
  let length = 0;
  try {
    // Consume the whole (one-event) read: leaving it early has left the client's dispose() hanging.
    for await (const e of client.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
      if (e.event) length = Number(e.event.revision) + 1;
    }
  } catch (err) {
    if (err instanceof StreamNotFoundError) return 0;
    throw err;
  }
  return length;
}

/**
 * Stream-by-stream exact comparison of what a replica must mirror: same revisions, ids, types and data,
 * nothing missing and nothing doubled. Returns human-readable differences (empty = equal); metadata is not
 * compared because links annotate it.
 */
export async function compareStreams(
  origin: EventStoreDBClient,
  destination: EventStoreDBClient,
  streams: Iterable<string>,
): Promise<string[]> {
  const differences: string[] = [];
  for (const stream of streams) {
    const [a, b] = await Promise.all([readStreamEvents(origin, stream), readStreamEvents(destination, stream)]);
    if (a.length !== b.length) differences.push(`${stream}: origin has ${a.length} events, destination ${b.length}`);
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      const y = b[i]!;
      if (
        x.revision !== y.revision ||
        x.id !== y.id ||
        x.type !== y.type ||
        x.isJson !== y.isJson ||
        x.data !== y.data
      ) {
        differences.push(
          `${stream}@${i}: origin (rev ${x.revision}, id ${x.id}, type ${x.type}) != destination (rev ${y.revision}, id ${y.id}, type ${y.type})`,
        );
        break;
      }
    }
    const ids = new Set(b.map((e) => e.id));
    if (ids.size !== b.length) differences.push(`${stream}: destination holds duplicate event ids`);
  }
  return differences;
}

/** Position of the last event in `$all` (commit), or null when the log is empty. */
export async function lastAllCommit(client: EventStoreDBClient): Promise<bigint | null> {
  let commit: bigint | null = null;
  for await (const e of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
    if (e.event?.position) commit = e.event.position.commit;
  }
  return commit;
}

/** The last checkpoint a link wrote to its destination. */
export async function readCheckpoint(destination: EventStoreDBClient, link: string): Promise<CheckpointData | null> {
  let data: CheckpointData | null = null;
  try {
    for await (const e of destination.readStream(checkpointStreamName(link), {
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: 1,
    })) {
      if (e.event) data = e.event.data as unknown as CheckpointData;
    }
  } catch (err) {
    if (err instanceof StreamNotFoundError) return null;
    throw err;
  }
  return data;
}

/** Appends `count` JSON events (of `bytes` bytes of payload each) to a stream, in one append. */
export async function appendJson(
  client: EventStoreDBClient,
  stream: string,
  count: number,
  bytes = 64,
): Promise<{ nextRevision: bigint; commit: bigint | undefined }> {
  const pad = 'x'.repeat(Math.max(0, bytes - 40));
  const events = Array.from({ length: count }, (_, i) =>
    jsonEvent({ id: randomUUID(), type: 'TestEvent', data: { i, pad } }),
  );
  const r = await client.appendToStream(stream, events);
  return { nextRevision: r.nextExpectedRevision, commit: r.position?.commit };
}
