// The link's origin readers (in this thread, on a shared client or one of its own, and on a worker thread with
// packed batches) against the
// stock subscription: the same events with the same raw bytes, checkpoints only after the events before them,
// and the worker's credits holding delivery while the link is paused.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import {
  START,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type EventStoreDBClient,
  type Position,
} from '@eventstore/db-client';
import { installRawBytes, rawEvent } from '../../src/client/raw-bytes.js';
import { originEventOf, type OriginEventFields } from '../../src/link/read/origin-event.js';
import { SubscriptionReader, type OriginReader } from '../../src/link/read/subscription-reader.js';
import { WorkerSubscriptionReader } from '../../src/link/read/worker-subscription-reader.js';
import { waitUntil } from '../helpers/conformance-server.js';
import { startNode } from '../helpers/nodes.js';

installRawBytes();

interface Seen {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  position: Position;
  createdMs: number;
  isJson: boolean;
  data: string;
  metadata: string;
}

/** A stock subscription's event, in the fields the link's readers deliver (as the link converts stock events). */
function seen(resolved: AllStreamResolvedEvent): Seen {
  const e = resolved.event!;
  assert.equal(resolved.commitPosition, e.position.commit);
  return seenFields(originEventOf(e));
}

function seenFields(e: OriginEventFields): Seen {
  return {
    streamId: e.streamId,
    id: e.id,
    type: e.type,
    revision: e.revision,
    position: { commit: e.commit, prepare: e.prepare },
    createdMs: e.createdMs,
    isJson: e.isJson,
    data: Buffer.from(e.data).toString('hex'),
    metadata: Buffer.from(e.metadata).toString('hex'),
  };
}

class Recorder {
  readonly items: ({ kind: 'event'; seen: Seen } | { kind: 'checkpoint'; position: Position })[] = [];
  caughtUp = false;
  readonly handlers = {
    onEvent: (e: OriginEventFields) => this.items.push({ kind: 'event', seen: seenFields(e) }),
    onCheckpoint: (position: Position) => this.items.push({ kind: 'checkpoint', position }),
    onCaughtUp: () => {
      this.caughtUp = true;
    },
  };
  get events(): Seen[] {
    return this.items.flatMap((i) => (i.kind === 'event' ? [i.seen] : []));
  }
}

async function write(client: EventStoreDBClient, prefix: string, rounds: number): Promise<number> {
  let matching = 0;
  for (let i = 0; i < rounds; i++) {
    await client.appendToStream(`${prefix}ünï-${i % 3}`, [
      rawEvent({
        id: randomUUID(),
        type: 'Jsön',
        contentType: 'application/json',
        data: Buffer.from(`{ "i": ${i},  "big": 12345678901234567890 }`),
        metadata: Buffer.from(`{"$causationId":"${i}"}`),
      }),
      rawEvent({ id: randomUUID(), type: 'bin', contentType: 'application/octet-stream', data: randomBytes(i * 50) }),
    ]);
    matching += 2;
    await client.appendToStream(`other-${prefix}${i % 2}`, [
      rawEvent({ id: randomUUID(), type: 'skipped', contentType: 'application/json', data: Buffer.from('{}') }),
    ]);
  }
  return matching;
}

function run(reader: OriginReader, recorder: Recorder, signal: AbortSignal): Promise<void> {
  return reader.run(null, recorder.handlers, signal).catch((err: unknown) => {
    if (!signal.aborted) throw err;
  });
}

test('both origin readers deliver the stock subscription’s events and bytes; checkpoints follow their events', async (t) => {
  const origin = await startNode(0, 'origin');
  const abort = new AbortController();
  const runs: Promise<void>[] = [];
  // One hook, in order: the readers stop before their server does.
  t.after(async () => {
    abort.abort();
    await Promise.all(runs);
    await origin.stop();
  });
  const client = origin.client();
  const prefix = `readers-${randomUUID().slice(0, 8)}-`;
  const regex = `^${prefix}`;
  let expected = await write(client, prefix, 40);

  const stock: Seen[] = [];
  const stockSub = client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ regex }) });
  stockSub.on('data', (r: AllStreamResolvedEvent) => stock.push(seen(r)));
  runs.push(
    new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(stockSub.unsubscribe()))),
  );
  const inThread = new Recorder();
  const ownClient = new Recorder();
  const onWorker = new Recorder();
  runs.push(
    run(new SubscriptionReader(client, regex), inThread, abort.signal),
    run(new SubscriptionReader({ connectionString: origin.connectionString }, regex), ownClient, abort.signal),
    run(new WorkerSubscriptionReader(origin.connectionString, regex, { batchSize: 7 }), onWorker, abort.signal),
  );

  await waitUntil(() => inThread.caughtUp && ownClient.caughtUp && onWorker.caughtUp, 'the readers to catch up');
  expected += await write(client, prefix, 10);
  await waitUntil(
    () => [stock, inThread.events, ownClient.events, onWorker.events].every((e) => e.length === expected),
    'every reader to deliver the live events',
  );
  assert.deepEqual(inThread.events, stock);
  assert.deepEqual(ownClient.events, stock);
  assert.deepEqual(onWorker.events, stock);
  for (const recorder of [inThread, ownClient, onWorker]) {
    assert.ok(recorder.items.some((i) => i.kind === 'checkpoint'));
    let delivered = 0;
    for (const item of recorder.items) {
      if (item.kind === 'event') delivered++;
      else assert.equal(delivered, stock.filter((e) => e.position.commit <= item.position.commit).length);
    }
  }
});

test('the worker reader holds to its credits while paused and delivers the rest on resume', async (t) => {
  const origin = await startNode(0, 'origin');
  const abort = new AbortController();
  let running: Promise<void> = Promise.resolve();
  t.after(async () => {
    abort.abort();
    await running;
    await origin.stop();
  });
  const client = origin.client();
  const prefix = `credits-${randomUUID().slice(0, 8)}-`;
  const expected = await write(client, prefix, 60);

  const reader = new WorkerSubscriptionReader(origin.connectionString, `^${prefix}`, { credits: 40, batchSize: 16 });
  reader.pause();
  const recorder = new Recorder();
  running = run(reader, recorder, abort.signal);
  await waitUntil(() => recorder.events.length >= 40, 'the credited events');
  // Whatever else was in flight between the threads has arrived once the count stops changing.
  let last = -1;
  let stable = 0;
  await waitUntil(() => {
    stable = recorder.events.length === last ? stable + 1 : 0;
    last = recorder.events.length;
    return stable >= 25;
  }, 'delivery to settle');
  assert.equal(recorder.events.length, 40, 'exactly the granted credits while paused');
  reader.resume();
  await waitUntil(() => recorder.events.length === expected, 'the rest after resume');
  assert.equal(new Set(recorder.events.map((e) => e.id)).size, expected, 'nothing doubled');
});
