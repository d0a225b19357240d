/**
 * Worker-thread side of `WorkerSubscriptionReader`: runs one hand-decoded `$all` subscription with its own
 * client and posts the events to the link in packed batches. Decoding a busy gRPC stream is a good share of
 * a link's CPU, so reading on a second thread lets a link use both cores.
 *
 * Flow control is by credit: the link grants event credits as it consumes; with none left the
 * subscription is paused, so at most `initialCredits` events sit between the threads.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EventStoreDBClient } from '@eventstore/db-client';
import { subscribeRawToAll } from '../client/raw-all-subscription.js';
import type { FromWorker, ToWorker, WorkerInput } from './subscription-worker-protocol.js';
import { EventBatchPacker } from './worker-event-batch.js';

const input = workerData as WorkerInput;
const port = parentPort!;

const client = EventStoreDBClient.connectionString(input.connectionString);
let credits = input.initialCredits;
const batch = new EventBatchPacker();
let flushScheduled = false;
let stopping = false;

function post(message: FromWorker): void {
  port.postMessage(message);
}

function flush(): void {
  flushScheduled = false;
  const count = batch.count;
  if (count === 0) return;
  const buffer = batch.take();
  port.postMessage({ t: 'events', batch: buffer, count } satisfies FromWorker, [buffer]);
}

const sub = subscribeRawToAll(
  client,
  {
    from: input.from ? { commit: BigInt(input.from.commit), prepare: BigInt(input.from.prepare) } : 'start',
    filter: { on: 'stream-name', regex: input.regex, checkpointInterval: 1 },
  },
  {
    onEvent: (event) => {
      batch.add(event);
      credits--;
      if (credits <= 0) sub.pause();
      if (batch.count >= input.batchSize) flush();
      else if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    },
    // Handlers run in stream order, so flushing first posts every event before the checkpoint ahead of it.
    onCheckpoint: (position) => {
      flush();
      post({ t: 'checkpoint', commit: position.commit.toString(), prepare: position.prepare.toString() });
    },
    onCaughtUp: () => {
      flush();
      post({ t: 'caughtUp' });
    },
    onError: (err) => {
      flush();
      const type = (err as { type?: unknown }).type;
      if (!stopping) {
        post({ t: 'error', name: err.name, message: err.message, type: typeof type === 'string' ? type : undefined });
      }
    },
    onEnd: () => {
      flush();
      if (!stopping) post({ t: 'end' });
    },
  },
);

port.on('message', (message: ToWorker) => {
  if (message.t === 'credit') {
    credits += message.n;
    if (credits > 0 && sub.isPaused) sub.resume();
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
