// The successor client, `@kurrent/kurrentdb-client`, against the same server: its reads go through the native
// Rust bridge (which may ask for structured UUIDs and compatibility messages), its subscriptions and appends
// through grpc-js. This file uses only that client: both clients register their google-protobuf classes under the
// same global `proto.event_store.*` names, so in one process the second one loaded breaks the other's
// BatchAppend ("message.getDeadline21100 is not a function").
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import {
  BACKWARDS,
  END,
  KurrentDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  binaryEvent,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import {
  SERVER_VARIANTS,
  collect,
  openServer,
  rejection,
  uniqueStream,
  variantSkipReason,
  type ServerVariant,
} from '../helpers/conformance-server.js';
import { SubscriptionRecorder } from '../helpers/conformance-subscription.js';

async function kurrentClient(t: TestContext, variant: ServerVariant): Promise<KurrentDBClient> {
  const server = await openServer(t, variant);
  const client = KurrentDBClient.connectionString(server.connectionString.replace(/^esdb/, 'kurrentdb'));
  server.addCleanup(() => client.dispose());
  return client;
}

for (const variant of SERVER_VARIANTS) {
  describe(`@kurrent/kurrentdb-client (${variant.name})`, { skip: variantSkipReason(variant) }, () => {
    test('reads forwards and backwards through the Rust bridge, and reports missing streams', async (t) => {
      const kurrent = await kurrentClient(t, variant);
      const stream = uniqueStream('kurrent-read');
      const ids = [randomUUID(), randomUUID(), randomUUID()];
      await kurrent.appendToStream(
        stream,
        ids.map((id, i) => jsonEvent({ id, type: 'FromKurrent', data: { i }, metadata: { m: i } })),
        { streamState: NO_STREAM },
      );
      const forwards = await collect(kurrent.readStream(stream));
      assert.deepEqual(
        forwards.map((e) => [e.event?.id, e.event?.revision, e.event?.type]),
        ids.map((id, i) => [id, BigInt(i), 'FromKurrent']),
      );
      assert.deepEqual(forwards[1]!.event!.data, { i: 1 });
      assert.deepEqual(forwards[1]!.event!.metadata, { m: 1 });
      assert.ok(Math.abs(forwards[0]!.event!.created.getTime() - Date.now()) < 10 * 60_000, 'created is plausible');
      const backwards = await collect(
        kurrent.readStream(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 2 }),
      );
      assert.deepEqual(
        backwards.map((e) => e.event?.revision),
        [2n, 1n],
      );
      const err = await rejection(
        collect(kurrent.readStream(uniqueStream('kurrent-missing'))),
        'reading a missing stream',
      );
      assert.ok(err instanceof StreamNotFoundError, `expected StreamNotFoundError, got ${String(err)}`);
    });

    test('readAll sees the events with their positions', async (t) => {
      const kurrent = await kurrentClient(t, variant);
      const stream = uniqueStream('kurrent-all');
      const first = await kurrent.appendToStream(stream, jsonEvent({ type: 'A', data: {} }), {
        streamState: NO_STREAM,
      });
      await kurrent.appendToStream(stream, jsonEvent({ type: 'B', data: {} }), { streamState: 0n });
      const read = (await collect(kurrent.readAll({ fromPosition: first.position!, maxCount: 1000 }))).filter(
        (e) => e.event?.streamId === stream,
      );
      assert.deepEqual(
        read.map((e) => e.event?.type),
        ['A', 'B'],
      );
      assert.deepEqual(read[0]!.event!.position, first.position);
      assert.ok(read[1]!.event!.position.commit > read[0]!.event!.position.commit);
    });

    test('appends (JSON and binary) with stream states, and wrong expected versions', async (t) => {
      const kurrent = await kurrentClient(t, variant);
      const stream = uniqueStream('kurrent-append');
      const result = await kurrent.appendToStream(
        stream,
        [jsonEvent({ type: 'K', data: { k: 1 } }), binaryEvent({ type: 'Bin', data: Uint8Array.of(0, 1, 255) })],
        { streamState: NO_STREAM },
      );
      assert.equal(result.nextExpectedRevision, 1n);
      const err = await rejection(
        kurrent.appendToStream(stream, jsonEvent({ type: 'K', data: {} }), { streamState: NO_STREAM }),
        'append',
      );
      assert.ok(err instanceof WrongExpectedVersionError, `expected WrongExpectedVersionError, got ${String(err)}`);
      const read = await collect(kurrent.readStream(stream));
      assert.deepEqual(read[0]!.event!.data, { k: 1 });
      assert.deepEqual(Buffer.from(read[1]!.event!.data as Uint8Array), Buffer.from([0, 1, 255]));
    });

    test('subscribeToAll and subscribeToStream: catch-up, caughtUp, live', async (t) => {
      const kurrent = await kurrentClient(t, variant);
      const stream = uniqueStream('kurrent-sub');
      await kurrent.appendToStream(stream, jsonEvent({ type: 'Before', data: {} }), { streamState: NO_STREAM });
      const all = new SubscriptionRecorder<AllStreamResolvedEvent>();
      all.attach(kurrent.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [stream] }) }));
      const one = new SubscriptionRecorder<ResolvedEvent>();
      one.attach(kurrent.subscribeToStream(stream, { fromRevision: START }));
      await all.waitFor((r) => r.caughtUp, 'caughtUp on $all');
      await one.waitFor((r) => r.caughtUp, 'caughtUp on the stream');
      await kurrent.appendToStream(stream, jsonEvent({ type: 'After', data: {} }), { streamState: 0n });
      await all.waitFor((r) => r.events.length === 2, 'the live event on $all');
      await one.waitFor((r) => r.events.length === 2, 'the live event on the stream');
      assert.deepEqual(
        all.events.map((e) => e.event?.type),
        ['Before', 'After'],
      );
      assert.deepEqual(
        one.events.map((e) => e.event?.revision),
        [0n, 1n],
      );
    });
  });
}
