// The hand-decoded $all subscription against the stock `client.subscribeToAll` on the same server: the same
// events (ids, types, revisions, positions, bytes), the same checkpoints, the same request bytes and call
// metadata, the same error types under faults; plus pause/resume with real back-pressure.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  EventStoreDBClient,
  START,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Position,
} from '@eventstore/db-client';
import { installRawBytes, rawBytesOf, rawEvent } from '../../src/client/raw-bytes.js';
import { subscribeRawToAll } from '../../src/client/raw-all-subscription.js';
import type { ReadRespEvent } from '../../src/client/wire/read-codec.js';
import { READ_METHOD } from '../../src/client/wire/streams-rpc.js';
import { ProtoWriter } from '../../src/shared/protobuf/proto-writer.js';
import { waitUntil } from '../helpers/conformance-server.js';
import { startNode, type TestNode } from '../helpers/nodes.js';

installRawBytes();

/** What both subscriptions must agree on, bytes as hex. */
interface Seen {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  commit: bigint;
  prepare: bigint;
  createdMs: number;
  isJson: boolean;
  data: string;
  metadata: string;
}

function fromStock(resolved: AllStreamResolvedEvent): Seen {
  const e = resolved.event!;
  const raw = rawBytesOf(e);
  return {
    streamId: e.streamId,
    id: e.id,
    type: e.type,
    revision: e.revision,
    commit: e.position.commit,
    prepare: e.position.prepare,
    createdMs: e.created.getTime(),
    isJson: e.isJson,
    data: Buffer.from(raw.data).toString('hex'),
    metadata: Buffer.from(raw.metadata).toString('hex'),
  };
}

function fromRaw(e: ReadRespEvent): Seen {
  return {
    streamId: e.streamId,
    id: e.id,
    type: e.type,
    revision: e.revision,
    commit: e.commit,
    prepare: e.prepare,
    createdMs: e.createdMs,
    isJson: e.isJson,
    data: e.data.toString('hex'),
    metadata: e.metadata.toString('hex'),
  };
}

type Item = { kind: 'event'; seen: Seen } | { kind: 'checkpoint'; position: Position } | { kind: 'caughtUp' };

class RawRecorder {
  readonly items: Item[] = [];
  error: (Error & { type?: string }) | undefined;
  ended = false;
  onEventHook: ((count: number) => void) | undefined;
  readonly handlers = {
    onEvent: (e: ReadRespEvent) => {
      this.items.push({ kind: 'event', seen: fromRaw(e) });
      this.onEventHook?.(this.events.length);
    },
    onCheckpoint: (position: Position) => this.items.push({ kind: 'checkpoint', position }),
    onCaughtUp: () => this.items.push({ kind: 'caughtUp' }),
    onError: (err: Error) => {
      this.error = err;
    },
    onEnd: () => {
      this.ended = true;
    },
  };
  get events(): Seen[] {
    return this.items.flatMap((i) => (i.kind === 'event' ? [i.seen] : []));
  }
  get checkpoints(): Position[] {
    return this.items.flatMap((i) => (i.kind === 'checkpoint' ? [i.position] : []));
  }
  get caughtUp(): boolean {
    return this.items.some((i) => i.kind === 'caughtUp');
  }
}

class StockRecorder {
  readonly events: Seen[] = [];
  readonly checkpoints: Position[] = [];
  caughtUp = false;
  error: (Error & { type?: string }) | undefined;
  attach(sub: AllStreamSubscription): AllStreamSubscription {
    sub.on('data', (r: AllStreamResolvedEvent) => this.events.push(fromStock(r)));
    sub.on('caughtUp', () => {
      this.caughtUp = true;
    });
    sub.on('error', (err: Error) => {
      this.error = err;
    });
    return sub;
  }
}

async function node(t: TestContext): Promise<TestNode> {
  const n = await startNode(0, 'origin');
  t.after(() => n.stop());
  return n;
}

/** Interleaved JSON (awkward bytes, metadata), binary, empty and filtered-out events; returns the matching count. */
async function writeMixed(client: EventStoreDBClient, prefix: string, skip: string, rounds: number): Promise<number> {
  let matching = 0;
  for (let i = 0; i < rounds; i++) {
    await client.appendToStream(
      `${prefix}json-${i % 3}`,
      [0, 1, 2].map((k) =>
        rawEvent({
          id: randomUUID(),
          type: `Jsön-${k}`,
          contentType: 'application/json',
          data: Buffer.from(`{ "n": ${i}, "big": 9223372036854775807,\n "k": ${k} }`),
          metadata: k === 0 ? Buffer.from(`{"$correlationId":"c-${i}"}`) : undefined,
        }),
      ),
    );
    await client.appendToStream(`${prefix}bin-${i % 2}`, [
      rawEvent({ id: randomUUID(), type: 'bin', contentType: 'application/octet-stream', data: randomBytes(64) }),
      rawEvent({ id: randomUUID(), type: 'empty', contentType: 'application/octet-stream', data: Buffer.alloc(0) }),
    ]);
    matching += 5;
    await client.appendToStream(`${skip}-${i % 2}`, [
      rawEvent({ id: randomUUID(), type: 'skipped', contentType: 'application/json', data: Buffer.from('{}') }),
    ]);
  }
  return matching;
}

test('delivers what the stock subscribeToAll delivers: catch-up from START then live, filtered, with checkpoints', async (t) => {
  const origin = await node(t);
  const client = origin.client();
  const tag = randomUUID().slice(0, 8);
  const prefix = `raw-${tag}-`;
  const skip = `skip-${tag}`;
  let expected = await writeMixed(client, prefix, skip, 20);

  const stock = new StockRecorder();
  const stockSub = stock.attach(
    client.subscribeToAll({
      fromPosition: START,
      filter: streamNameFilter({
        regex: `^${prefix}`,
        checkpointInterval: 1,
        checkpointReached: (_s, p) => {
          stock.checkpoints.push(p);
        },
      }),
    }),
  );
  const raw = new RawRecorder();
  const sub = subscribeRawToAll(
    client,
    { from: 'start', filter: { on: 'stream-name', regex: `^${prefix}`, checkpointInterval: 1 } },
    raw.handlers,
  );
  t.after(async () => {
    await sub.unsubscribe();
    await stockSub.unsubscribe();
  });

  await waitUntil(() => raw.caughtUp && stock.caughtUp, 'both to catch up');
  assert.equal(raw.events.length, expected);
  assert.deepEqual(raw.events, stock.events);

  // Live: more of the same, then a filtered-out stretch longer than the server's checkpoint window (32).
  expected += await writeMixed(client, prefix, skip, 10);
  await client.appendToStream(
    `${skip}-tail`,
    Array.from({ length: 40 }, () =>
      rawEvent({ id: randomUUID(), type: 'skipped', contentType: 'application/json', data: Buffer.from('{}') }),
    ),
  );
  await waitUntil(
    () => raw.events.length === expected && stock.events.length === expected,
    'both to deliver the live events',
  );
  assert.equal(raw.error, undefined);
  assert.equal(stock.error, undefined);
  assert.deepEqual(raw.events, stock.events);
  assert.equal(new Set(raw.events.map((e) => e.id)).size, expected, 'nothing doubled');
  assert.ok(
    raw.events.some((e) => e.metadata.length > 0) && raw.events.some((e) => e.data.length === 0),
    'the workload has metadata and empty data',
  );

  if (origin.emulator) {
    // The emulator checkpoints deterministically, so both see the same ones, past the last matching event.
    const lastMatching = raw.events[raw.events.length - 1]!.commit;
    await waitUntil(() => raw.checkpoints.some((c) => c.commit > lastMatching), 'a checkpoint past the tail');
    await waitUntil(() => stock.checkpoints.length === raw.checkpoints.length, 'the stock checkpoints');
    assert.deepEqual(raw.checkpoints, stock.checkpoints);
  }
  // A checkpoint is delivered after every matching event at or before it.
  let delivered = 0;
  for (const item of raw.items) {
    if (item.kind === 'event') delivered++;
    else if (item.kind === 'checkpoint') {
      const before = raw.events.filter((e) => e.commit <= item.position.commit).length;
      assert.equal(delivered, before, `events before the checkpoint at ${item.position.commit}`);
    }
  }

  // Unsubscribing is quiet: no error, no end, nothing more.
  await sub.unsubscribe();
  await writeMixed(client, prefix, skip, 1);
  await waitUntil(() => stock.events.length === expected + 5, 'the stock subscription to see the last round');
  assert.equal(raw.events.length, expected);
  assert.equal(raw.error, undefined);
  assert.equal(raw.ended, false);
});

test('from a position: the events after it (exclusive), like the stock subscription', async (t) => {
  const origin = await node(t);
  const client = origin.client();
  const tag = randomUUID().slice(0, 8);
  const prefix = `raw-${tag}-`;
  const total = await writeMixed(client, prefix, `skip-${tag}`, 8);

  const all = new RawRecorder();
  const filter = { on: 'stream-name' as const, regex: `^${prefix}`, checkpointInterval: 1 };
  const first = subscribeRawToAll(client, { from: 'start', filter }, all.handlers);
  t.after(() => first.unsubscribe());
  await waitUntil(() => all.caughtUp, 'the full catch-up');
  assert.equal(all.events.length, total);

  const pivot = all.events[16]!;
  const from = { commit: pivot.commit, prepare: pivot.prepare };
  const raw = new RawRecorder();
  const sub = subscribeRawToAll(client, { from, filter }, raw.handlers);
  const stock = new StockRecorder();
  const stockSub = stock.attach(
    client.subscribeToAll({ fromPosition: from, filter: streamNameFilter({ regex: `^${prefix}` }) }),
  );
  t.after(async () => {
    await sub.unsubscribe();
    await stockSub.unsubscribe();
  });
  await waitUntil(() => raw.caughtUp && stock.caughtUp, 'both to catch up from the position');
  assert.deepEqual(raw.events, all.events.slice(17));
  assert.deepEqual(raw.events, stock.events);
});

test('pause stops delivery and holds the server back; resume delivers the rest, nothing lost', async (t) => {
  const origin = await node(t);
  const client = origin.client();
  const stream = `raw-pause-${randomUUID()}`;
  const total = 1500;
  for (let i = 0; i < total; i += 100) {
    await client.appendToStream(
      stream,
      Array.from({ length: 100 }, () =>
        rawEvent({ id: randomUUID(), type: 'big', contentType: 'application/octet-stream', data: randomBytes(4096) }),
      ),
    );
  }
  const raw = new RawRecorder();
  const sub = subscribeRawToAll(
    client,
    { from: 'start', filter: { on: 'stream-name', regex: `^${stream}$`, checkpointInterval: 1 } },
    raw.handlers,
  );
  // Responses arrive asynchronously, so the hook is in place before the first one.
  raw.onEventHook = (count) => {
    if (count === 100) sub.pause();
  };
  t.after(() => sub.unsubscribe());
  await waitUntil(() => raw.events.length >= 100, 'the first 100 events');
  assert.equal(sub.isPaused, true);
  // Let whatever the transport had in flight arrive: the buffer stops growing.
  let last = -1;
  let stable = 0;
  await waitUntil(() => {
    const now = sub.buffered;
    stable = now === last ? stable + 1 : 0;
    last = now;
    return stable >= 25;
  }, 'the paused buffer to settle');
  assert.equal(raw.events.length, 100, 'nothing is delivered while paused');
  // Back-pressure: grpc-js stops reading, so only a few responses (not the remaining ~6 MB) are held here.
  assert.ok(sub.buffered < 100, `responses buffered while paused: ${sub.buffered}`);

  sub.resume();
  await waitUntil(() => raw.events.length === total, 'the rest after resume');
  assert.deepEqual(
    raw.events.map((e) => e.revision),
    Array.from({ length: total }, (_, i) => BigInt(i)),
    'every event once, in order',
  );
  assert.equal(raw.error, undefined);
});

test('faults surface as the client’s error types, as in the stock subscription, and the client reconnects', async (t) => {
  const origin = await node(t);
  const emulator = origin.emulator;
  if (!emulator) return t.skip('needs the emulator');
  const client = origin.client();
  const prefix = `raw-${randomUUID().slice(0, 8)}-`;
  await writeMixed(client, prefix, `skip-${prefix}`, 2);
  const filter = { on: 'stream-name' as const, regex: `^${prefix}`, checkpointInterval: 1 };

  // Dropped connections: both subscriptions fail with the same error type.
  const raw = new RawRecorder();
  const sub = subscribeRawToAll(client, { from: 'start', filter }, raw.handlers);
  const stock = new StockRecorder();
  const stockSub = stock.attach(client.subscribeToAll({ fromPosition: START }));
  t.after(async () => {
    await sub.unsubscribe();
    await stockSub.unsubscribe();
  });
  await waitUntil(() => raw.caughtUp && stock.caughtUp, 'both to catch up');
  emulator.faults.dropConnections();
  await waitUntil(() => raw.error !== undefined && stock.error !== undefined, 'both to fail');
  assert.ok(raw.error!.type === 'unavailable' || raw.error!.type === 'cancelled', `type: ${raw.error!.type}`);
  assert.equal(raw.error!.type, stock.error!.type);
  assert.equal(raw.error!.constructor, stock.error!.constructor, 'the same CommandError class');
  assert.equal(raw.ended, false);

  // Unavailable: the raw subscription's failure is converted (UnavailableError) and reported to the client,
  // which reconnects: the next subscription works once the fault is gone.
  emulator.faults.unavailableFor(60_000);
  const failing = new RawRecorder();
  const failingSub = subscribeRawToAll(client, { from: 'start', filter }, failing.handlers);
  t.after(() => failingSub.unsubscribe());
  await waitUntil(() => failing.error !== undefined, 'the unavailable error');
  assert.equal(failing.error!.type, 'unavailable');
  assert.equal(failing.error!.constructor.name, 'UnavailableError');
  assert.equal(failing.events.length, 0);
  emulator.faults.reset();

  const again = new RawRecorder();
  const againSub = subscribeRawToAll(client, { from: 'start', filter }, again.handlers);
  t.after(() => againSub.unsubscribe());
  await waitUntil(() => again.caughtUp, 'a new subscription after the fault');
  assert.deepEqual(again.events, raw.events);
  assert.equal(again.error, undefined);
});

test('sends the request bytes and call metadata the stock subscribeToAll sends', async (t) => {
  // A bare gRPC server that records each Read call and answers confirmation, one event, caught_up, then OK.
  const calls: { request: Buffer; connectionName: unknown; deadline: unknown }[] = [];
  const server = new grpc.Server();
  const recorded = new ProtoWriter()
    .bytes(1, new ProtoWriter().string(2, 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6').finish())
    .bytes(2, new ProtoWriter().string(3, 'capture-1').finish())
    .uint64(3, 7)
    .uint64(4, 2n ** 60n)
    .uint64(5, 2n ** 60n + 1n)
    .bytes(6, new ProtoWriter().string(1, 'type').string(2, 'T').finish())
    .bytes(8, Buffer.from([1, 2, 3]))
    .finish();
  const responses = [
    new ProtoWriter().bytes(2, new ProtoWriter().string(1, 'sub-1').finish()).finish(),
    new ProtoWriter()
      .bytes(
        1,
        new ProtoWriter()
          .bytes(1, recorded)
          .uint64(3, 2n ** 60n + 1n)
          .finish(),
      )
      .finish(),
    new ProtoWriter().empty(8).finish(),
  ];
  server.addService(
    { read: READ_METHOD },
    {
      read: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        calls.push({
          request: call.request,
          connectionName: call.metadata.get('connection-name')[0],
          deadline: call.getDeadline(),
        });
        for (const r of responses) call.write(r);
        call.end();
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const client = EventStoreDBClient.connectionString(`esdb://127.0.0.1:${port}?tls=false&connectionName=capture-conn`);
  t.after(async () => {
    await client.dispose();
    server.forceShutdown();
  });
  const from = { commit: 2n ** 60n + 1n, prepare: 2n ** 60n };
  const regex = '^capture-';

  const stock = new StockRecorder();
  let stockEnded = false;
  stock
    .attach(client.subscribeToAll({ fromPosition: from, filter: streamNameFilter({ regex, checkpointInterval: 1 }) }))
    .on('end', () => {
      stockEnded = true;
    });
  const raw = new RawRecorder();
  let confirmed: string | undefined;
  const sub = subscribeRawToAll(
    client,
    { from, filter: { on: 'stream-name', regex, checkpointInterval: 1 } },
    { ...raw.handlers, onConfirmation: (id) => (confirmed = id) },
  );
  await waitUntil(() => stockEnded && raw.ended, 'both calls to end');

  // The two calls may reach the server in either order; they must be indistinguishable.
  assert.equal(calls.length, 2);
  const [a, b] = calls as [(typeof calls)[0], (typeof calls)[0]];
  assert.deepEqual(a.request, b.request, 'the same ReadReq bytes');
  for (const call of calls) {
    assert.equal(call.connectionName, 'capture-conn');
    assert.equal(call.deadline, Infinity, 'no deadline');
  }
  assert.equal(confirmed, 'sub-1');
  assert.equal(sub.subscriptionId, 'sub-1');
  assert.deepEqual(raw.events, stock.events);
  assert.equal(raw.events[0]!.id, 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6');
  assert.equal(raw.events[0]!.commit, 2n ** 60n + 1n);
  assert.equal(raw.caughtUp, true);
  assert.equal(raw.error, undefined);
});
