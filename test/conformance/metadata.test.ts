// Stream metadata through the public client: round-trips of system and custom keys, the metastream's own
// revisions, and stream reads honouring $maxCount, $tb and $maxAge while $all keeps every event.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import {
  BACKWARDS,
  END,
  NO_STREAM,
  WrongExpectedVersionError,
  binaryEvent,
  jsonEvent,
  type EventData,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import {
  SERVER_VARIANTS,
  collect,
  openTarget,
  rejection,
  uniqueStream,
  variantSkipReason,
} from '../helpers/conformance-target.js';

function events(n: number): EventData[] {
  return Array.from({ length: n }, (_, i) => jsonEvent({ id: randomUUID(), type: 'Meta', data: { i } }));
}

async function revisions(client: EventStoreDBClient, stream: string, backwards = false): Promise<bigint[]> {
  const read = await collect(client.readStream(stream, backwards ? { direction: BACKWARDS, fromRevision: END } : {}));
  return read.map((e) => e.event!.revision);
}

for (const variant of SERVER_VARIANTS) {
  describe(`stream metadata (${variant.name})`, { skip: variantSkipReason(variant) }, () => {
    test('system and custom keys round-trip through setStreamMetadata and getStreamMetadata', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('meta');
      const none = await client.getStreamMetadata(stream);
      assert.equal(none.streamName, stream);
      assert.equal(none.metadata, undefined, 'a stream without metadata has none');
      const written = await client.setStreamMetadata(stream, {
        maxCount: 2,
        maxAge: 3600,
        truncateBefore: 1,
        cacheControl: 30,
        owner: 'conformance',
        nested: { tags: ['a', 'b'], level: 3 },
      });
      assert.equal(written.nextExpectedRevision, 0n, 'metadata is event 0 of the metastream');
      const read = await client.getStreamMetadata(stream);
      assert.equal(read.streamName, stream);
      assert.deepEqual(read.metadata, {
        maxCount: 2,
        maxAge: 3600,
        truncateBefore: 1,
        cacheControl: 30,
        owner: 'conformance',
        nested: { tags: ['a', 'b'], level: 3 },
      });
      const raw = await collect(client.readStream(`$$${stream}`));
      assert.equal(raw.length, 1);
      assert.equal(raw[0]!.event!.type, '$metadata');
      assert.deepEqual(raw[0]!.event!.data, {
        $maxCount: 2,
        $maxAge: 3600,
        $tb: 1,
        $cacheControl: 30,
        owner: 'conformance',
        nested: { tags: ['a', 'b'], level: 3 },
      });
    });

    test('the latest metadata wins, and the metastream checks expected revisions', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('meta-latest');
      await client.appendToStream(stream, events(5), { expectedRevision: NO_STREAM });
      await client.setStreamMetadata(stream, { maxCount: 2 });
      assert.deepEqual(await revisions(client, stream), [3n, 4n]);
      const second = await client.setStreamMetadata(stream, { maxCount: 4 }, { expectedRevision: 0n });
      assert.equal(second.nextExpectedRevision, 1n);
      assert.deepEqual(await revisions(client, stream), [1n, 2n, 3n, 4n]);
      const err = await rejection(
        client.setStreamMetadata(stream, { maxCount: 1 }, { expectedRevision: 0n }),
        'a stale write',
      );
      assert.ok(err instanceof WrongExpectedVersionError, `expected WrongExpectedVersionError, got ${String(err)}`);
      assert.equal(err.streamName, `$$${stream}`);
      assert.equal((await client.getStreamMetadata(stream)).metadata?.maxCount, 4);
    });

    test('a malformed latest $metadata counts as no metadata', async (t) => {
      // The real server parses the latest metastream event and falls back to empty metadata when that fails
      // (`StreamMetadata.FromJsonBytes` inside an exception guard), so an earlier $maxCount stops applying.
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('meta-bad');
      await client.appendToStream(stream, events(4), { expectedRevision: NO_STREAM });
      await client.setStreamMetadata(stream, { maxCount: 2 });
      assert.deepEqual(await revisions(client, stream), [2n, 3n]);
      await client.appendToStream(
        `$$${stream}`,
        binaryEvent({ type: '$metadata', data: Buffer.from('{ not json', 'utf8') }),
        {
          expectedRevision: 0n,
        },
      );
      assert.deepEqual(await revisions(client, stream), [0n, 1n, 2n, 3n]);
    });

    test('reads honour $maxCount in both directions while $all keeps every event', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('meta-count');
      const first = await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      await client.appendToStream(stream, events(4), { expectedRevision: 0n });
      await client.setStreamMetadata(stream, { maxCount: 2 });
      assert.deepEqual(await revisions(client, stream), [3n, 4n]);
      assert.deepEqual(await revisions(client, stream, true), [4n, 3n]);
      // Appending keeps the window sliding.
      await client.appendToStream(stream, events(1), { expectedRevision: 4n });
      assert.deepEqual(await revisions(client, stream), [4n, 5n]);
      const inAll = (await collect(client.readAll({ fromPosition: first.position!, maxCount: 1000 }))).filter(
        (e) => e.event?.streamId === stream,
      );
      assert.equal(inAll.length, 6, '$all is unaffected by stream metadata (until a scavenge)');
    });

    test('reads honour $tb (truncateBefore)', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('meta-tb');
      await client.appendToStream(stream, events(5), { expectedRevision: NO_STREAM });
      await client.setStreamMetadata(stream, { truncateBefore: 3 });
      assert.deepEqual(await revisions(client, stream), [3n, 4n]);
      assert.deepEqual(await revisions(client, stream, true), [4n, 3n]);
    });

    test('reads honour $maxAge against the events created time', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('meta-age');
      await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
      await client.setStreamMetadata(stream, { maxAge: 1 });
      // $maxAge is in whole seconds, so the old events must be over a second old before the check means anything.
      await sleep(1_500);
      await client.appendToStream(stream, events(1), { expectedRevision: 1n });
      assert.deepEqual(await revisions(client, stream), [2n]);
    });
  });
}
