// Stream catch-up subscriptions through the public client: from START, END and a revision (exclusive), streams
// that do not exist yet, and the end of a subscription when its stream is tombstoned.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  END,
  NO_STREAM,
  START,
  StreamDeletedError,
  jsonEvent,
  type EventData,
  type EventStoreDBClient,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { SubscriptionRecorder } from '../helpers/conformance-subscription.js';
import { SERVER_VARIANTS, openTarget, uniqueStream, variantSkipReason } from '../helpers/conformance-target.js';

function events(n: number): EventData[] {
  return Array.from({ length: n }, (_, i) => jsonEvent({ id: randomUUID(), type: 'StreamSub', data: { i } }));
}

function subscribe(
  client: EventStoreDBClient,
  stream: string,
  options: Parameters<EventStoreDBClient['subscribeToStream']>[1],
): SubscriptionRecorder<ResolvedEvent> {
  const recorder = new SubscriptionRecorder<ResolvedEvent>();
  recorder.attach(client.subscribeToStream(stream, options));
  return recorder;
}

function revisions(recorder: SubscriptionRecorder<ResolvedEvent>): bigint[] {
  return recorder.events.map((e) => e.event!.revision);
}

for (const variant of SERVER_VARIANTS) {
  describe(`subscribeToStream (${variant.name})`, { skip: variantSkipReason(variant) }, () => {
    test('from START: catch-up, caughtUp, then live events of that stream only', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('substream');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      await client.appendToStream(uniqueStream('substream-other'), events(2));
      const sub = subscribe(client, stream, { fromRevision: START });
      await sub.waitFor((r) => r.caughtUp, 'caughtUp');
      assert.deepEqual(revisions(sub), [0n, 1n, 2n]);
      await client.appendToStream(stream, events(2), { expectedRevision: 2n });
      await sub.waitFor((r) => r.events.length === 5, 'two live events');
      assert.deepEqual(revisions(sub), [0n, 1n, 2n, 3n, 4n]);
      assert.ok(sub.events.every((e) => e.event!.streamId === stream));
    });

    test('from END: only events appended after the subscription started', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('substream-end');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      const sub = subscribe(client, stream, { fromRevision: END });
      await sub.waitFor((r) => r.confirmed, 'the confirmation');
      await client.appendToStream(stream, events(1), { expectedRevision: 2n });
      await sub.waitFor((r) => r.events.length === 1, 'the live event');
      assert.deepEqual(revisions(sub), [3n]);
    });

    test('from a revision N: the first event delivered is N+1', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('substream-rev');
      await client.appendToStream(stream, events(5), { expectedRevision: NO_STREAM });
      const sub = subscribe(client, stream, { fromRevision: 2n });
      await sub.waitFor((r) => r.caughtUp, 'caughtUp');
      await client.appendToStream(stream, events(1), { expectedRevision: 4n });
      await sub.waitFor((r) => r.events.length === 3, 'catch-up plus one live event');
      assert.deepEqual(revisions(sub), [3n, 4n, 5n]);
    });

    test('a stream that does not exist yet: the subscription waits and then delivers from revision 0', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('substream-new');
      const sub = subscribe(client, stream, { fromRevision: START });
      await sub.waitFor((r) => r.confirmed, 'the confirmation');
      await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
      await sub.waitFor((r) => r.events.length === 2, 'both events');
      assert.deepEqual(revisions(sub), [0n, 1n]);
    });

    test('tombstoning the stream ends its subscription with StreamDeletedError', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('substream-tomb');
      await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
      const sub = subscribe(client, stream, { fromRevision: START });
      await sub.waitFor((r) => r.caughtUp, 'caughtUp');
      await client.tombstoneStream(stream);
      const err = await sub.waitForError('the subscription to fail');
      assert.ok(err instanceof StreamDeletedError, `expected StreamDeletedError, got ${String(err)}`);
      assert.deepEqual(revisions(sub), [0n, 1n]);
    });
  });
}
