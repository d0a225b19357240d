// Soft delete (a `$tb` of long.MaxValue in the metastream) and tombstone (a `$streamDeleted` record at revision
// long.MaxValue) through the public client, including how each shows up in $all.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  WrongExpectedVersionError,
  jsonEvent,
  type AllStreamResolvedEvent,
  type EventData,
} from '@eventstore/db-client';
import {
  SERVER_VARIANTS,
  collect,
  openTarget,
  rejection,
  uniqueStream,
  variantSkipReason,
} from '../helpers/conformance-target.js';

const LONG_MAX = 9223372036854775807n;

function events(n: number): EventData[] {
  return Array.from({ length: n }, (_, i) => jsonEvent({ id: randomUUID(), type: 'Del', data: { i } }));
}

async function expectDeleted(promise: Promise<unknown>, stream: string, what: string): Promise<void> {
  const err = await rejection(promise, what);
  assert.ok(err instanceof StreamDeletedError, `${what}: expected StreamDeletedError, got ${String(err)}`);
  assert.equal(err.streamName, stream);
}

for (const variant of SERVER_VARIANTS) {
  describe(`deletes (${variant.name})`, { skip: variantSkipReason(variant) }, () => {
    test('soft delete: not found, $tb of long.MaxValue, stream_exists is StreamDeleted, no_stream recreates', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('soft');
      await client.setStreamMetadata(stream, { owner: 'conformance' });
      await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
      const deleted = await client.deleteStream(stream, { expectedRevision: 1n });
      assert.ok(deleted.position && deleted.position.commit > 0n, 'a delete reports its log position');
      await assert.rejects(collect(client.readStream(stream)), StreamNotFoundError);
      const meta = await client.getStreamMetadata(stream);
      // long.MaxValue does not survive JSON.parse: the client can only show the nearest double.
      assert.equal(meta.metadata?.truncateBefore, Number(LONG_MAX));
      await expectDeleted(
        client.appendToStream(stream, events(1), { expectedRevision: STREAM_EXISTS }),
        stream,
        'stream_exists',
      );
      // A wrong expectation on a soft-deleted stream reports the last revision it had.
      const wev = await rejection(client.appendToStream(stream, events(1), { expectedRevision: 5n }), 'a stale append');
      assert.ok(wev instanceof WrongExpectedVersionError, `expected WrongExpectedVersionError, got ${String(wev)}`);
      assert.equal(wev.actualVersion, 1n);

      const recreated = await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      assert.equal(recreated.nextExpectedRevision, 2n, 'revisions continue after a soft delete');
      const read = await collect(client.readStream(stream));
      assert.deepEqual(
        read.map((e) => e.event!.revision),
        [2n],
        'only events written after the delete are visible',
      );
      // The soft delete wrote a fresh `{"$tb":long.MaxValue}` (the real server's writer drops the other keys), and the
      // undelete rewrote that document with `$tb` = the first new revision.
      const undeleted = await client.getStreamMetadata(stream);
      assert.deepEqual(undeleted.metadata, { truncateBefore: 2 });
      assert.equal((await client.appendToStream(stream, events(1), { expectedRevision: 2n })).nextExpectedRevision, 3n);
    });

    test('writing metadata to a soft-deleted stream undeletes it, keeping the old events hidden', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('soft-meta');
      await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
      await client.deleteStream(stream);
      await client.setStreamMetadata(stream, { owner: 'conformance' });
      const meta = await client.getStreamMetadata(stream);
      assert.deepEqual(meta.metadata, { owner: 'conformance', truncateBefore: 2 });
      // No longer deleted: the revisions continue from the old last one.
      const next = await client.appendToStream(stream, events(1), { expectedRevision: 1n });
      assert.equal(next.nextExpectedRevision, 2n);
      assert.deepEqual(
        (await collect(client.readStream(stream))).map((e) => e.event!.revision),
        [2n],
      );
    });

    test('soft-deleting a stream that has neither events nor metadata is a wrong expected version', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const err = await rejection(client.deleteStream(uniqueStream('soft-none')), 'deleting a missing stream');
      assert.ok(err instanceof WrongExpectedVersionError, `expected WrongExpectedVersionError, got ${String(err)}`);
    });

    test('soft delete with any, then recreate with any', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('soft-any');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      await client.deleteStream(stream, { expectedRevision: ANY });
      await assert.rejects(collect(client.readStream(stream)), StreamNotFoundError);
      const again = await client.appendToStream(stream, events(1), { expectedRevision: ANY });
      assert.equal(again.nextExpectedRevision, 3n);
      assert.deepEqual(
        (await collect(client.readStream(stream))).map((e) => e.event!.revision),
        [3n],
      );
    });

    test('delete with a wrong expected revision fails with WrongExpectedVersion and deletes nothing', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('del-wev');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      const err = await rejection(client.deleteStream(stream, { expectedRevision: 0n }), 'a stale delete');
      assert.ok(err instanceof WrongExpectedVersionError, `expected WrongExpectedVersionError, got ${String(err)}`);
      assert.equal(err.streamName, stream);
      assert.equal(err.expectedVersion, 0n);
      assert.equal(err.actualVersion, 2n);
      // The trailer form carries the numeric encoding of the symbolic expectations.
      const noStream = await rejection(
        client.deleteStream(stream, { expectedRevision: NO_STREAM }),
        'delete no_stream',
      );
      assert.ok(noStream instanceof WrongExpectedVersionError);
      assert.equal(noStream.expectedVersion, -1n);
      assert.equal(noStream.actualVersion, 2n);
      const tomb = await rejection(client.tombstoneStream(stream, { expectedRevision: 1n }), 'a stale tombstone');
      assert.ok(tomb instanceof WrongExpectedVersionError);
      assert.equal((await collect(client.readStream(stream))).length, 3);
    });

    test('soft delete leaves a $metadata record in $all', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('soft-all');
      const first = await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      await client.deleteStream(stream);
      const tail = (await collect(client.readAll({ fromPosition: first.position!, maxCount: 1000 }))).filter(
        (e) => e.event?.streamId === stream || e.event?.streamId === `$$${stream}`,
      );
      assert.deepEqual(
        tail.map((e) => [e.event!.streamId, e.event!.type]),
        [
          [stream, 'Del'],
          [`$$${stream}`, '$metadata'],
        ],
      );
    });

    test('tombstone: reads, appends, deletes and metadata writes fail with StreamDeletedError', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('tomb');
      await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
      const result = await client.tombstoneStream(stream, { expectedRevision: 1n });
      assert.ok(result.position && result.position.commit > 0n, 'a tombstone reports its log position');
      await expectDeleted(collect(client.readStream(stream)), stream, 'read');
      await expectDeleted(client.appendToStream(stream, events(1)), stream, 'append any');
      await expectDeleted(
        client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM }),
        stream,
        'append no_stream',
      );
      await expectDeleted(client.deleteStream(stream), stream, 'delete');
      await expectDeleted(client.tombstoneStream(stream), stream, 'tombstone again');
      const metaErr = await rejection(client.setStreamMetadata(stream, { maxCount: 1 }), 'metadata write');
      assert.ok(metaErr instanceof StreamDeletedError, `expected StreamDeletedError, got ${String(metaErr)}`);
    });

    test('tombstone: $all ends the stream with $streamDeleted at revision long.MaxValue', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('tomb-all');
      const first = await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
      await client.tombstoneStream(stream);
      const ofStream = (await collect(client.readAll({ fromPosition: first.position!, maxCount: 1000 }))).filter(
        (e: AllStreamResolvedEvent) => e.event?.streamId === stream,
      );
      const last = ofStream.at(-1)!.event!;
      assert.equal(last.type, '$streamDeleted');
      assert.equal(last.revision, LONG_MAX);
      assert.equal(ofStream.length, 2, 'the last appended event, then the tombstone');
    });

    test('a soft-deleted stream can still be tombstoned', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('soft-tomb');
      await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      await client.deleteStream(stream);
      await client.tombstoneStream(stream);
      await expectDeleted(collect(client.readStream(stream)), stream, 'read');
      await expectDeleted(client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM }), stream, 'append');
    });
  });
}
