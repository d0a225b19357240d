// Stream and $all reads through the public client: directions, counts, start points, not-found, and the rules of
// $all positions (inclusive forwards, exclusive backwards, strictly increasing, never zero).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  BACKWARDS,
  END,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type EventData,
  type Position,
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
  return Array.from({ length: n }, (_, i) => jsonEvent({ id: randomUUID(), type: 'Read', data: { i } }));
}

/** Only our own events: against a real server $all also holds system records and other tests' events. */
function ours(read: AllStreamResolvedEvent[], streams: string[]): AllStreamResolvedEvent[] {
  return read.filter((e) => e.event !== undefined && streams.includes(e.event.streamId));
}

for (const variant of SERVER_VARIANTS) {
  describe(`reads (${variant.name})`, { skip: variantSkipReason(variant) }, () => {
    test('readStream forwards and backwards, with counts and start revisions', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('read');
      await client.appendToStream(stream, events(10), { expectedRevision: NO_STREAM });
      const revs = async (options: Parameters<typeof client.readStream>[1]) =>
        (await collect(client.readStream(stream, options))).map((e) => e.event!.revision);
      assert.deepEqual(await revs({}), [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
      assert.deepEqual(await revs({ fromRevision: START, maxCount: 3 }), [0n, 1n, 2n]);
      assert.deepEqual(await revs({ fromRevision: 4n, direction: FORWARDS, maxCount: 2 }), [4n, 5n]);
      assert.deepEqual(await revs({ fromRevision: END, direction: BACKWARDS, maxCount: 3 }), [9n, 8n, 7n]);
      assert.deepEqual(await revs({ fromRevision: 5n, direction: BACKWARDS, maxCount: 2 }), [5n, 4n]);
      assert.deepEqual(await revs({ fromRevision: 2n, direction: BACKWARDS }), [2n, 1n, 0n]);
      assert.deepEqual(await revs({ fromRevision: 10n }), [], 'past the end reads nothing, it is not an error');
      assert.deepEqual(await revs({ fromRevision: END }), [], 'forwards from END reads nothing');
    });

    test('stream reads carry each event position, commit == prepare, increasing with the revision', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('read');
      await client.appendToStream(stream, events(5), { expectedRevision: NO_STREAM });
      const read = await collect(client.readStream(stream));
      const positions = read.map((e) => e.event!.position!);
      positions.forEach((p) => assert.equal(p.commit, p.prepare));
      for (let i = 1; i < positions.length; i++) assert.ok(positions[i]!.commit > positions[i - 1]!.commit);
    });

    test('reading a missing stream fails with StreamNotFoundError naming the stream', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('missing');
      const err = await rejection(collect(client.readStream(stream)), 'reading a missing stream');
      assert.ok(err instanceof StreamNotFoundError, `expected StreamNotFoundError, got ${String(err)}`);
      assert.equal(err.streamName, stream);
      await assert.rejects(
        collect(client.readStream(stream, { direction: BACKWARDS, fromRevision: END })),
        StreamNotFoundError,
      );
    });

    test('readAll forwards: our events in order, positions strictly increasing and non-zero, from-position inclusive', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const a = uniqueStream('all-a');
      const b = uniqueStream('all-b');
      const first = await client.appendToStream(a, events(3), { expectedRevision: NO_STREAM });
      await client.appendToStream(b, events(2), { expectedRevision: NO_STREAM });
      await client.appendToStream(a, events(2), { expectedRevision: 2n });
      const from: Position = first.position!;
      // `first.position` is the position of the last of the three events, so an inclusive read starts with it.
      const read = ours(await collect(client.readAll({ fromPosition: from, maxCount: 1000 })), [a, b]);
      assert.deepEqual(
        read.map((e) => `${e.event!.streamId === a ? 'a' : 'b'}@${e.event!.revision}`),
        ['a@2', 'b@0', 'b@1', 'a@3', 'a@4'],
      );
      assert.deepEqual(read[0]!.event!.position, from, 'readAll from a position includes the event at it');
      for (const e of read) {
        assert.ok(e.event!.position.commit > 0n);
        assert.equal(e.event!.position.commit, e.event!.position.prepare);
        assert.equal(e.commitPosition, e.event!.position.commit);
      }
      for (let i = 1; i < read.length; i++)
        assert.ok(read[i]!.event!.position.commit > read[i - 1]!.event!.position.commit);
    });

    test('readAll from START: every position is non-zero and strictly increasing', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('all-start');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      const read = await collect(client.readAll({ fromPosition: START, maxCount: 5000 }));
      assert.ok(read.length >= 3);
      let previous = 0n;
      for (const e of read) {
        const p = e.event!.position;
        assert.ok(p.commit > previous, `position ${p.commit} after ${previous}`);
        previous = p.commit;
      }
      if (read.length < 5000) assert.equal(ours(read, [stream]).length, 3);
    });

    test('readAll backwards from END starts at the newest event; from a position it is exclusive', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('all-back');
      await client.appendToStream(stream, events(4), { expectedRevision: NO_STREAM });
      const newest = (await collect(client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 50 }))).find(
        (e) => !e.event!.streamId.startsWith('$'),
      );
      assert.equal(newest?.event?.streamId, stream);
      assert.equal(newest.event.revision, 3n);
      const third = (await collect(client.readStream(stream, { fromRevision: 2n, maxCount: 1 })))[0]!.event!.position!;
      const before = ours(await collect(client.readAll({ fromPosition: third, direction: BACKWARDS, maxCount: 50 })), [
        stream,
      ]);
      assert.deepEqual(
        before.map((e) => e.event!.revision),
        [1n, 0n],
        'a backwards read from a position starts before it',
      );
    });

    test('readAll honours maxCount in both directions', async (t) => {
      const client = (await openTarget(t, variant)).client();
      await client.appendToStream(uniqueStream('all-count'), events(5), { expectedRevision: NO_STREAM });
      assert.equal((await collect(client.readAll({ maxCount: 2 }))).length, 2);
      assert.equal((await collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 3 }))).length, 3);
    });
  });
}
