/**
 * Worker-thread side of `WorkerSubscriptionReader`: runs one `subscribeToAll` with its own client and
 * posts the events to the link in batches. Decoding a gRPC stream costs the v6 client about as much CPU
 * as writing it, so reading on a second thread lets a link use both cores.
 *
 * Flow control is by credit: the link grants event credits as it consumes; with none left the
 * subscription is paused, so at most `initialCredits` events sit between the threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EventStoreDBClient, START, streamNameFilter, type AllStreamResolvedEvent } from '@eventstore/db-client';
import { installRawBytes, rawBytesOf } from '../client/raw-bytes.js';
import type { FromWorker, ToWorker, WireEvent, WorkerInput } from './subscription-worker-protocol.js';

const input = workerData as WorkerInput;
const port = parentPort!;
installRawBytes();

const client = EventStoreDBClient.connectionString(input.connectionString);
let credits = input.initialCredits;
let pending: WireEvent[] = [];
let flushScheduled = false;
let stopping = false;

function post(message: FromWorker): void {
  port.postMessage(message);
}

function flush(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  post({ t: 'events', items: pending });
  pending = [];
}

const sub = client.subscribeToAll({
  fromPosition: input.from ? { commit: BigInt(input.from.commit), prepare: BigInt(input.from.prepare) } : START,
  resolveLinkTos: false,
  filter: streamNameFilter({
    regex: input.regex,
    checkpointInterval: 1,
    checkpointReached: async (_s, position) => {
      // Events before a checkpoint may still sit in the paused readable buffer: the checkpoint counts
      // only after they were posted.
      while (sub.readableLength > 0 && !stopping) await new Promise((r) => setTimeout(r, 5));
      flush();
      post({ t: 'checkpoint', commit: position.commit.toString(), prepare: position.prepare.toString() });
    },
  }),
});

sub.on('data', (resolved: AllStreamResolvedEvent) => {
  const event = resolved.event;
  if (!event) return;
  const raw = rawBytesOf(event);
  pending.push([
    event.streamId,
    event.id,
    event.type,
    event.revision.toString(),
    event.position.commit.toString(),
    event.position.prepare.toString(),
    event.created.getTime(),
    event.isJson,
    raw.data,
    raw.metadata,
  ]);
  credits--;
  if (credits <= 0) sub.pause();
  if (pending.length >= input.batchSize) flush();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
});
sub.on('caughtUp', () => {
  flush();
  post({ t: 'caughtUp' });
});
sub.on('error', (err: Error) => {
  flush();
  if (!stopping) post({ t: 'error', name: err.name, message: err.message });
});
sub.on('end', () => {
  flush();
  if (!stopping) post({ t: 'end' });
});

port.on('message', (message: ToWorker) => {
  if (message.t === 'credit') {
    credits += message.n;
    if (credits > 0 && sub.isPaused()) sub.resume();
  } else if (message.t === 'stop') {
    stopping = true;
    void sub
      .unsubscribe()
      .catch(() => {})
      .then(() => client.dispose())
      .catch(() => {})
      .finally(() => port.close());
  }
});
