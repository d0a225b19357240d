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
import { subscribeRawToAll } from '../../client/raw-all-subscription.js';
import { withReceiveWindow } from '../../client/receive-window.js';
import type { FromWorker, ToWorker, WorkerInput } from './subscription-worker-protocol.js';
import { EventBatchPacker } from './worker-event-batch.js';

const input = workerData as WorkerInput;
/** Longest a partial batch waits for more events during catch-up (see `flushSoon`). */
const CATCH_UP_COALESCE_MS = 5;
const port = parentPort!;

// A client of its own, used by this subscription only: it may advertise the larger receive window.
const client = withReceiveWindow(EventStoreDBClient.connectionString(input.connectionString));
let credits = input.initialCredits;
const batch = new EventBatchPacker();
let flushScheduled = false;
let flushTimer: NodeJS.Timeout | undefined;
/** The server said the subscription is live (`caughtUp`), and has not said it fell behind since. */
let live = false;
let stopping = false;
/** Events posted that the link has not granted back yet. */
let unconsumed = 0;

function post(message: FromWorker): void {
  port.postMessage(message);
}

function flush(): void {
  flushScheduled = false;
  if (flushTimer) {
    clearTimeout(flushTimer);
    flushTimer = undefined;
  }
  const count = batch.count;
  if (batch.entries === 0) return;
  const buffer = batch.take();
  unconsumed += count;
  port.postMessage({ t: 'events', batch: buffer, count } satisfies FromWorker, [buffer]);
}

/**
 * A partial batch goes out when the link has consumed everything before it, otherwise with the link's next
 * grant: responses trickle in a few per I/O callback, and a message per trickle would cost both threads
 * more than the events themselves. Live, it goes at the end of this I/O callback (no added latency).
 * During catch-up it waits CATCH_UP_COALESCE_MS for more: the link grants as soon as it has unpacked a
 * batch, so without the wait a batch carried one I/O callback's worth (~30 events), and each message (and
 * its grant) costs both threads tens of µs; with it, ~150.
 */
function flushSoon(): void {
  if (batch.entries >= input.batchSize) flush();
  else if (unconsumed === 0 && !flushScheduled) {
    flushScheduled = true;
    if (live) setImmediate(flush);
    else flushTimer = setTimeout(flush, CATCH_UP_COALESCE_MS);
  }
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
      if (credits > 0) flushSoon();
      else {
        // Out of credits: nothing more comes until the link grants, so it gets everything granted now.
        sub.pause();
        flush();
      }
    },
    // Handlers run in stream order, and the checkpoint follows the events before it in the same batch.
    onCheckpoint: (position) => {
      batch.addCheckpoint(position);
      flushSoon();
    },
    onCaughtUp: () => {
      live = true;
      flush();
      post({ t: 'caughtUp' });
    },
    onFellBehind: () => {
      live = false;
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
    unconsumed = Math.max(0, unconsumed - message.n);
    if (unconsumed === 0) flushSoon();
    if (credits > 0 && sub.isPaused) sub.resume();
  } else if (message.t === 'stop') {
    stopping = true;
    if (flushTimer) clearTimeout(flushTimer);
    void sub
      .unsubscribe()
      .catch(() => {})
      .then(() => client.dispose())
      .catch(() => {})
      .finally(() => port.close());
  }
});
