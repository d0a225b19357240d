// Appends through the public client: expected-revision forms, wrong-expected-version shapes, idempotent
// re-appends, binary events, the max append size, and many appends in flight on one client. Each case runs with
// BatchAppend advertised and with the classic Append RPC.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ANY,
  BACKWARDS,
  END,
  MaxAppendSizeExceededError,
  NO_STREAM,
  STREAM_EXISTS,
  StreamNotFoundError,
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

function events(n: number, type = 'Tested'): EventData[] {
  return Array.from({ length: n }, (_, i) =>
    jsonEvent({ id: randomUUID(), type, data: { i, text: `event ${i}` }, metadata: { seq: i } }),
  );
}

async function revisions(client: EventStoreDBClient, stream: string): Promise<bigint[]> {
  const read = await collect(client.readStream(stream));
  return read.map((e) => e.event!.revision);
}

async function expectWev(
  promise: Promise<unknown>,
  expected: { stream: string; expectedVersion: unknown; actualVersion: unknown },
): Promise<void> {
  const err = await rejection(promise, 'the append');
  assert.ok(err instanceof WrongExpectedVersionError, `expected WrongExpectedVersionError, got ${String(err)}`);
  assert.equal(err.streamName, expected.stream);
  assert.equal(err.expectedVersion, expected.expectedVersion);
  assert.equal(err.actualVersion, expected.actualVersion);
}

for (const variant of SERVER_VARIANTS) {
  describe(`appends (${variant.name})`, { skip: variantSkipReason(variant) }, () => {
    test('three events with no_stream: next revision 2n and a position with commit == prepare', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      const result = await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      assert.equal(result.success, true);
      assert.equal(result.nextExpectedRevision, 2n);
      assert.ok(result.position, 'an append result carries the log position');
      assert.equal(result.position.commit, result.position.prepare);
      assert.ok(result.position.commit > 0n, 'no event sits at position 0');
    });

    test('readStream returns ids, types, JSON data and metadata, revisions and a plausible created date', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      const written = events(3, 'Shaped');
      const before = Date.now();
      const result = await client.appendToStream(stream, written, { expectedRevision: NO_STREAM });
      const read = await collect(client.readStream(stream));
      assert.equal(read.length, 3);
      read.forEach((resolved, i) => {
        const e = resolved.event!;
        assert.equal(e.streamId, stream);
        assert.equal(e.id, written[i]!.id);
        assert.equal(e.type, 'Shaped');
        assert.equal(e.isJson, true);
        assert.equal(e.revision, BigInt(i));
        assert.deepEqual(e.data, { i, text: `event ${i}` });
        assert.deepEqual(e.metadata, { seq: i });
        assert.ok(e.created instanceof Date);
        // Plausible, not timed: `created` comes from .NET ticks, so a unit error shows up as years off.
        assert.ok(Math.abs(e.created.getTime() - before) < 10 * 60_000, `created ${e.created.toISOString()}`);
      });
      // The last event's position in a stream read is the append result's position (self-committed writes).
      assert.deepEqual(read[2]!.event!.position, result.position);
    });

    test('expected revision forms that succeed: any, stream_exists, the current revision', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      assert.equal(
        (await client.appendToStream(stream, events(1), { expectedRevision: ANY })).nextExpectedRevision,
        0n,
      );
      assert.equal(
        (await client.appendToStream(stream, events(1), { expectedRevision: ANY })).nextExpectedRevision,
        1n,
      );
      const exists = await client.appendToStream(stream, events(2), { expectedRevision: STREAM_EXISTS });
      assert.equal(exists.nextExpectedRevision, 3n);
      const exact = await client.appendToStream(stream, events(1), { expectedRevision: 3n });
      assert.equal(exact.nextExpectedRevision, 4n);
      // The default expectation is `any`.
      assert.equal((await client.appendToStream(stream, events(1))).nextExpectedRevision, 5n);
      assert.deepEqual(await revisions(client, stream), [0n, 1n, 2n, 3n, 4n, 5n]);
    });

    test('a stale revision gives WrongExpectedVersion with expected 0n and actual 2n, writing nothing', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      await expectWev(client.appendToStream(stream, events(1), { expectedRevision: 0n }), {
        stream,
        expectedVersion: 0n,
        actualVersion: 2n,
      });
      assert.deepEqual(await revisions(client, stream), [0n, 1n, 2n]);
    });

    test('a revision ahead of the stream gives WrongExpectedVersion', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      await expectWev(client.appendToStream(stream, events(1), { expectedRevision: 7n }), {
        stream,
        expectedVersion: 7n,
        actualVersion: 2n,
      });
    });

    test('no_stream on an existing stream gives WrongExpectedVersion with actual 2n', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      await expectWev(client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM }), {
        stream,
        expectedVersion: NO_STREAM,
        actualVersion: 2n,
      });
    });

    test('stream_exists or an explicit revision on a missing stream gives WrongExpectedVersion with actual no_stream', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      await expectWev(client.appendToStream(stream, events(1), { expectedRevision: STREAM_EXISTS }), {
        stream,
        expectedVersion: STREAM_EXISTS,
        actualVersion: NO_STREAM,
      });
      await expectWev(client.appendToStream(stream, events(1), { expectedRevision: 0n }), {
        stream,
        expectedVersion: 0n,
        actualVersion: NO_STREAM,
      });
      await assert.rejects(collect(client.readStream(stream)), StreamNotFoundError);
    });

    test('stream_exists succeeds on a stream that has only metadata', async (t) => {
      // IndexWriter.CheckCommit: StreamExists is a wrong expected version only when neither the stream nor its
      // metastream has events.
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      await client.setStreamMetadata(stream, { owner: 'conformance' });
      const result = await client.appendToStream(stream, events(1), { expectedRevision: STREAM_EXISTS });
      assert.equal(result.nextExpectedRevision, 0n);
    });

    test('re-appending the same ids with no_stream is idempotent and writes nothing', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('idem');
      const batch = events(3);
      await client.appendToStream(stream, batch, { expectedRevision: NO_STREAM });
      const again = await client.appendToStream(stream, batch, { expectedRevision: NO_STREAM });
      assert.equal(again.success, true);
      assert.equal(again.nextExpectedRevision, 2n);
      assert.deepEqual(await revisions(client, stream), [0n, 1n, 2n]);
    });

    test('re-appending the same ids with any or stream_exists is idempotent and writes nothing', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('idem');
      const batch = events(3);
      await client.appendToStream(stream, batch, { expectedRevision: ANY });
      assert.equal((await client.appendToStream(stream, batch, { expectedRevision: ANY })).nextExpectedRevision, 2n);
      const exists = await client.appendToStream(stream, batch, { expectedRevision: STREAM_EXISTS });
      assert.equal(exists.nextExpectedRevision, 2n);
      // A suffix that was already written is recognised too.
      assert.equal(
        (await client.appendToStream(stream, batch.slice(1), { expectedRevision: ANY })).nextExpectedRevision,
        2n,
      );
      assert.deepEqual(await revisions(client, stream), [0n, 1n, 2n]);
    });

    test('re-appending the same ids with the explicit revision they were written after is idempotent', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('idem');
      const batch = events(4);
      await client.appendToStream(stream, batch.slice(0, 1), { expectedRevision: NO_STREAM });
      await client.appendToStream(stream, batch.slice(1), { expectedRevision: 0n });
      // The same request again (a client retry after a lost reply): expected 0n, ids at revisions 1..3.
      const retry = await client.appendToStream(stream, batch.slice(1), { expectedRevision: 0n });
      assert.equal(retry.success, true);
      assert.equal(retry.nextExpectedRevision, 3n);
      // An older prefix, re-sent with its own expectation, is idempotent as well.
      const older = await client.appendToStream(stream, batch.slice(1, 3), { expectedRevision: 0n });
      assert.equal(older.nextExpectedRevision, 2n);
      assert.deepEqual(await revisions(client, stream), [0n, 1n, 2n, 3n]);
    });

    test('a partial overlap of written ids gives WrongExpectedVersion and writes nothing', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('idem');
      const batch = events(3);
      await client.appendToStream(stream, batch, { expectedRevision: NO_STREAM });
      const overlap = [batch[0]!, batch[1]!, ...events(1)];
      await expectWev(client.appendToStream(stream, overlap, { expectedRevision: NO_STREAM }), {
        stream,
        expectedVersion: NO_STREAM,
        actualVersion: 2n,
      });
      // With an explicit revision, the first id differing from what sits at expected+1 is a plain conflict.
      await expectWev(client.appendToStream(stream, [...events(1), batch[2]!], { expectedRevision: 1n }), {
        stream,
        expectedVersion: 1n,
        actualVersion: 2n,
      });
      // With `any`: the first id is known, a later one is not ("corrupted idempotency").
      const err = await rejection(
        client.appendToStream(stream, [batch[2]!, ...events(1)], { expectedRevision: ANY }),
        'append',
      );
      assert.ok(err instanceof WrongExpectedVersionError, `expected WrongExpectedVersionError, got ${String(err)}`);
      assert.deepEqual(await revisions(client, stream), [0n, 1n, 2n]);
    });

    test('an empty append with a stale revision gives WrongExpectedVersion', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('append');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      await expectWev(client.appendToStream(stream, [], { expectedRevision: 0n }), {
        stream,
        expectedVersion: 0n,
        actualVersion: 2n,
      });
      assert.deepEqual(await revisions(client, stream), [0n, 1n, 2n]);
    });

    test('binary events round-trip byte for byte, with JSON metadata', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('binary');
      const bytes = Uint8Array.from({ length: 256 }, (_, i) => (i * 7 + 3) % 256);
      const written = binaryEvent({ id: randomUUID(), type: 'Blob', data: bytes, metadata: { kind: 'bin' } });
      await client.appendToStream(stream, [written, binaryEvent({ type: 'Empty', data: new Uint8Array(0) })], {
        expectedRevision: NO_STREAM,
      });
      const [first, second] = await collect(client.readStream(stream));
      assert.equal(first!.event!.isJson, false);
      assert.equal(first!.event!.id, written.id);
      assert.deepEqual(Buffer.from(first!.event!.data), Buffer.from(bytes));
      assert.deepEqual(first!.event!.metadata, { kind: 'bin' });
      assert.equal((second!.event!.data as Uint8Array).length, 0);
    });

    test(
      'an event without a type or content-type is rejected with INVALID_ARGUMENT (missing-required-metadata-property)',
      {
        skip: 'the public client always sends both `type` and `content-type`, so this request cannot be made through it',
      },
      () => undefined,
    );

    test('an append over 1 MiB fails with MaxAppendSizeExceededError and writes nothing', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('maxsize');
      const big = binaryEvent({ type: 'Big', data: new Uint8Array(1_100_000) });
      const err = await rejection(client.appendToStream(stream, big), 'a 1.1 MB append');
      assert.ok(err instanceof MaxAppendSizeExceededError, `expected MaxAppendSizeExceededError, got ${String(err)}`);
      assert.equal(err.maxAppendSize, 1_048_576);
      // The limit is on the whole append, not per event.
      const many = Array.from({ length: 12 }, () => binaryEvent({ type: 'Part', data: new Uint8Array(100_000) }));
      await assert.rejects(client.appendToStream(stream, many), MaxAppendSizeExceededError);
      await assert.rejects(collect(client.readStream(stream)), StreamNotFoundError);
      // Just under the limit is fine.
      const fits = await client.appendToStream(stream, binaryEvent({ type: 'Fits', data: new Uint8Array(900_000) }));
      assert.equal(fits.nextExpectedRevision, 0n);
    });

    test('many appends in flight on one client each get their own result', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const streams = Array.from({ length: 20 }, () => uniqueStream('parallel'));
      const results = await Promise.all(
        streams.map((s, i) => client.appendToStream(s, events(1 + (i % 4)), { expectedRevision: NO_STREAM })),
      );
      results.forEach((r, i) => assert.equal(r.nextExpectedRevision, BigInt(i % 4)));
      const positions = new Set(results.map((r) => r.position!.commit));
      assert.equal(positions.size, streams.length, 'every append has its own log position');
      // Failures in the same burst come back to the right caller.
      const mixed = await Promise.allSettled(
        streams.map((s, i) => client.appendToStream(s, events(1), { expectedRevision: i % 2 === 0 ? NO_STREAM : ANY })),
      );
      mixed.forEach((r, i) => {
        if (i % 2 === 0) {
          assert.equal(r.status, 'rejected');
          assert.ok(r.reason instanceof WrongExpectedVersionError);
          assert.equal(r.reason.streamName, streams[i]);
        } else {
          assert.equal(r.status, 'fulfilled');
          assert.equal(r.value.nextExpectedRevision, BigInt((i % 4) + 1));
        }
      });
      const last = await collect(
        client.readStream(streams[1]!, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }),
      );
      assert.equal(last[0]!.event!.revision, 2n);
    });
  });
}
