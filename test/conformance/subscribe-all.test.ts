// $all catch-up subscriptions through the public client: catch-up, caughtUp, live, a gapless and duplicate-free
// switch while writers are busy, exclusive start positions, and server-side filters with checkpoints.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  ANY,
  NO_STREAM,
  START,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type EventData,
  type EventStoreDBClient,
  type Position,
} from '@eventstore/db-client';
import { SubscriptionRecorder } from '../helpers/conformance-subscription.js';
import { SERVER_VARIANTS, openTarget, uniqueStream, variantSkipReason } from '../helpers/conformance-target.js';

function events(n: number, type = 'Sub'): EventData[] {
  return Array.from({ length: n }, (_, i) => jsonEvent({ id: randomUUID(), type, data: { i } }));
}

function subscribeAll(
  client: EventStoreDBClient,
  options: Parameters<EventStoreDBClient['subscribeToAll']>[0],
): SubscriptionRecorder<AllStreamResolvedEvent> {
  const recorder = new SubscriptionRecorder<AllStreamResolvedEvent>();
  recorder.attach(client.subscribeToAll(options));
  return recorder;
}

function streamsOf(recorder: SubscriptionRecorder<AllStreamResolvedEvent>): string[] {
  return recorder.events.map((e) => e.event!.streamId);
}

function assertStrictlyIncreasing(positions: Position[], what: string): void {
  for (let i = 1; i < positions.length; i++) {
    assert.ok(
      positions[i]!.commit > positions[i - 1]!.commit,
      `${what}: ${positions[i]!.commit} after ${positions[i - 1]!.commit}`,
    );
  }
}

for (const variant of SERVER_VARIANTS) {
  describe(`subscribeToAll (${variant.name})`, { skip: variantSkipReason(variant) }, () => {
    test('from START: catch-up events, then caughtUp, then a live event', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('suball');
      await client.appendToStream(stream, events(3), { expectedRevision: NO_STREAM });
      const sub = subscribeAll(client, { fromPosition: START });
      await sub.waitFor((r) => r.caughtUp, 'caughtUp');
      const before = sub.events.filter((e) => e.event?.streamId === stream).map((e) => e.event!.revision);
      assert.deepEqual(before, [0n, 1n, 2n], 'every catch-up event arrives before caughtUp');
      await client.appendToStream(stream, events(1), { expectedRevision: 2n });
      await sub.waitFor(
        (r) => r.events.some((e) => e.event?.streamId === stream && e.event.revision === 3n),
        'the live event',
      );
      const caughtUpAt = sub.items.findIndex((i) => i.kind === 'caughtUp');
      const liveAt = sub.items.findIndex(
        (i) => i.kind === 'event' && i.event.event?.revision === 3n && i.event.event.streamId === stream,
      );
      assert.ok(caughtUpAt < liveAt, 'the live event comes after caughtUp');
      assert.equal(sub.items.filter((i) => i.kind === 'caughtUp').length, 1, 'caughtUp is sent once');
      assertStrictlyIncreasing(
        sub.events.map((e) => e.event!.position),
        '$all subscription positions',
      );
    });

    test('the switch from catch-up to live is gapless and duplicate-free while writers keep appending', async (t) => {
      const target = await openTarget(t, variant);
      const client = target.client();
      const writer = target.client();
      const stream = uniqueStream('gapless');
      const others = Array.from({ length: 4 }, () => uniqueStream('gapless-other'));
      await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      for (let i = 0; i < 10; i++) await writer.appendToStream(stream, events(100), { expectedRevision: ANY });
      const sub = subscribeAll(client, { fromPosition: START });
      // Writers run while the subscription is still catching up, so the switch to live happens under load.
      const round = () =>
        Promise.all([
          writer.appendToStream(stream, events(25), { expectedRevision: ANY }),
          ...others.map((o) => writer.appendToStream(o, events(5), { expectedRevision: ANY })),
        ]);
      for (let i = 0; i < 15; i++) await round();
      await sub.waitFor((r) => r.caughtUp, 'caughtUp', 30_000);
      // And some more once it is certainly live.
      for (let i = 0; i < 5; i++) await round();
      const total = 1 + 1000 + 20 * 25;
      const countOf = (r: SubscriptionRecorder<AllStreamResolvedEvent>, s: string) =>
        r.events.filter((e) => e.event?.streamId === s).length;
      await sub.waitFor(
        (r) => countOf(r, stream) >= total && others.every((o) => countOf(r, o) >= 100),
        'every written event',
        30_000,
      );
      const revisions = sub.events.filter((e) => e.event?.streamId === stream).map((e) => e.event!.revision);
      assert.deepEqual(
        revisions,
        Array.from({ length: total }, (_, i) => BigInt(i)),
        'every revision once, in order',
      );
      for (const o of others) {
        const got = sub.events.filter((e) => e.event?.streamId === o).map((e) => e.event!.revision);
        assert.deepEqual(
          got,
          Array.from({ length: 100 }, (_, i) => BigInt(i)),
        );
      }
      assertStrictlyIncreasing(
        sub.events.map((e) => e.event!.position),
        '$all subscription positions',
      );
    });

    test('a paused (slow) consumer still gets every event once, in order, when it resumes', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('slow');
      const recorder = new SubscriptionRecorder<AllStreamResolvedEvent>();
      const subscription = recorder.attach(
        client.subscribeToAll({ fromPosition: START, filter: streamNameFilter({ prefixes: [stream] }) }),
      );
      await recorder.waitFor((r) => r.caughtUp, 'caughtUp');
      subscription.pause();
      // Far more than the server's live buffer (32) and the client's stream buffers, so flow control kicks in.
      for (let i = 0; i < 30; i++) await client.appendToStream(stream, events(100), { expectedRevision: ANY });
      subscription.resume();
      await recorder.waitFor((r) => r.events.length >= 3000, 'all 3000 events', 30_000);
      assert.deepEqual(
        recorder.events.map((e) => e.event!.revision),
        Array.from({ length: 3000 }, (_, i) => BigInt(i)),
      );
    });

    test('from a position the subscription is exclusive: it starts after the event at that position', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('suball-pos');
      await client.appendToStream(stream, events(2), { expectedRevision: NO_STREAM });
      const second = await client.appendToStream(stream, events(1), { expectedRevision: 1n });
      await client.appendToStream(stream, events(2), { expectedRevision: 2n });
      const sub = subscribeAll(client, { fromPosition: second.position! });
      await sub.waitFor((r) => r.caughtUp, 'caughtUp');
      const got = sub.events.filter((e) => e.event?.streamId === stream).map((e) => e.event!.revision);
      assert.deepEqual(got, [3n, 4n]);
      assert.ok(sub.events.every((e) => e.event!.position.commit > second.position!.commit));
    });

    test('excludeSystemEvents from a position: no $-typed events (not even $metadata), and checkpoints arrive', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const stream = uniqueStream('nosys');
      const first = await client.appendToStream(stream, events(1), { expectedRevision: NO_STREAM });
      await client.setStreamMetadata(stream, { maxCount: 10 });
      await client.appendToStream(stream, events(1), { expectedRevision: 0n });
      const recorder = new SubscriptionRecorder<AllStreamResolvedEvent>();
      recorder.attach(
        client.subscribeToAll({
          fromPosition: first.position!,
          filter: excludeSystemEvents({ checkpointReached: recorder.checkpointReached }),
        }),
      );
      await recorder.waitFor((r) => r.caughtUp && r.checkpoints.length > 0, 'caughtUp and a checkpoint');
      assert.ok(
        recorder.events.every((e) => !e.event!.type.startsWith('$')),
        'system event types are filtered out',
      );
      assert.deepEqual(
        recorder.events.filter((e) => e.event!.streamId === stream).map((e) => e.event!.revision),
        [1n],
      );
      assert.ok(!streamsOf(recorder).includes(`$$${stream}`), 'the metastream event ($metadata) is filtered out too');
      const cpAt = recorder.items.findIndex((i) => i.kind === 'checkpoint');
      const upAt = recorder.items.findIndex((i) => i.kind === 'caughtUp');
      assert.ok(cpAt < upAt, 'a filtered subscription checkpoints when it goes live, before caughtUp');
      assertStrictlyIncreasing(recorder.checkpoints, 'checkpoints');
    });

    test('stream-name prefix filter: only matching streams, in catch-up and live', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const tag = randomUUID();
      const [a, b, c] = [`pa-${tag}-x`, `pb-${tag}-y`, `pc-${tag}-z`];
      await client.appendToStream(a, events(2), { expectedRevision: NO_STREAM });
      await client.appendToStream(c, events(2), { expectedRevision: NO_STREAM });
      const recorder = new SubscriptionRecorder<AllStreamResolvedEvent>();
      recorder.attach(
        client.subscribeToAll({
          fromPosition: START,
          filter: streamNameFilter({
            prefixes: [`pa-${tag}`, `pb-${tag}`],
            checkpointReached: recorder.checkpointReached,
          }),
        }),
      );
      await recorder.waitFor((r) => r.caughtUp, 'caughtUp');
      await client.appendToStream(b, events(1), { expectedRevision: NO_STREAM });
      await client.appendToStream(c, events(1), { expectedRevision: 1n });
      await client.appendToStream(a, events(1), { expectedRevision: 1n });
      await recorder.waitFor(
        (r) => streamsOf(r).filter((s) => s === a).length === 3,
        'the live event of the first prefix',
      );
      assert.deepEqual(streamsOf(recorder), [a, a, b, a]);
    });

    test('stream-name regex filter', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const tag = randomUUID().replaceAll('-', '');
      const [a, b, c] = [`rx${tag}-alpha`, `rx${tag}-beta`, `rx${tag}-gamma`];
      const sub = subscribeAll(client, {
        fromPosition: START,
        filter: streamNameFilter({ regex: `^rx${tag}-(alpha|gamma)$` }),
      });
      await sub.waitFor((r) => r.caughtUp, 'caughtUp');
      await client.appendToStream(a, events(1));
      await client.appendToStream(b, events(1));
      await client.appendToStream(c, events(1));
      await sub.waitFor((r) => streamsOf(r).includes(c), 'the last matching event');
      assert.deepEqual(streamsOf(sub), [a, c]);
    });

    test('event-type regex and prefix filters', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const tag = randomUUID().replaceAll('-', '');
      const stream = uniqueStream('types');
      const regexSub = subscribeAll(client, {
        fromPosition: START,
        filter: eventTypeFilter({ regex: `^Order${tag}(Placed|Shipped)$` }),
      });
      const prefixSub = subscribeAll(client, {
        fromPosition: START,
        filter: eventTypeFilter({ prefixes: [`Inv${tag}`] }),
      });
      await regexSub.waitFor((r) => r.caughtUp, 'caughtUp (regex)');
      await prefixSub.waitFor((r) => r.caughtUp, 'caughtUp (prefix)');
      const types = [
        `Order${tag}Placed`,
        `Order${tag}Cancelled`,
        `Inv${tag}Issued`,
        `Order${tag}Shipped`,
        `Inv${tag}Paid`,
      ];
      await client.appendToStream(
        stream,
        types.map((type) => jsonEvent({ type, data: {} })),
        { expectedRevision: NO_STREAM },
      );
      await regexSub.waitFor((r) => r.events.length === 2, 'two matching order events');
      await prefixSub.waitFor((r) => r.events.length === 2, 'two matching invoice events');
      assert.deepEqual(
        regexSub.events.map((e) => e.event!.type),
        [`Order${tag}Placed`, `Order${tag}Shipped`],
      );
      assert.deepEqual(
        prefixSub.events.map((e) => e.event!.type),
        [`Inv${tag}Issued`, `Inv${tag}Paid`],
      );
    });

    test('filtered catch-up checkpoints every multiplier x window considered events, then one on going live', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const tag = randomUUID();
      const noise = `noise-${tag}`;
      const first = await client.appendToStream(noise, events(1), { expectedRevision: NO_STREAM });
      for (let i = 0; i < 4; i++) await client.appendToStream(noise, events(50), { expectedRevision: ANY });
      // Window 10 x multiplier 2: a checkpoint per 20 considered events; 200 events after the start position.
      const recorder = new SubscriptionRecorder<AllStreamResolvedEvent>();
      recorder.attach(
        client.subscribeToAll({
          fromPosition: first.position!,
          filter: streamNameFilter({
            prefixes: [`watched-${tag}`],
            maxSearchWindow: 10,
            checkpointInterval: 2,
            checkpointReached: recorder.checkpointReached,
          }),
        }),
      );
      await recorder.waitFor((r) => r.caughtUp, 'caughtUp');
      const beforeLive = recorder.items.slice(
        0,
        recorder.items.findIndex((i) => i.kind === 'caughtUp'),
      );
      const checkpoints = beforeLive.flatMap((i) => (i.kind === 'checkpoint' ? [i.position] : []));
      assert.ok(
        checkpoints.length >= 10,
        `expected at least 200 / 20 = 10 catch-up checkpoints, got ${checkpoints.length}`,
      );
      assert.equal(recorder.events.length, 0, 'nothing matched');
      assertStrictlyIncreasing(checkpoints, 'catch-up checkpoints');
      assert.ok(checkpoints[0]!.commit > first.position!.commit, 'checkpoints start after the (exclusive) start');
    });

    test('filtered checkpoints count considered events, live too, and never go backwards', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const tag = randomUUID();
      const watched = `watched-${tag}`;
      const noise = `noise-${tag}`;
      const recorder = new SubscriptionRecorder<AllStreamResolvedEvent>();
      recorder.attach(
        client.subscribeToAll({
          fromPosition: START,
          filter: streamNameFilter({
            prefixes: [watched],
            checkpointInterval: 1,
            checkpointReached: recorder.checkpointReached,
          }),
        }),
      );
      await recorder.waitFor((r) => r.caughtUp, 'caughtUp');
      const atLive = recorder.checkpoints.length;
      // 100 events the filter rejects: with the default window of 32, the server still reports progress.
      let last: Position | undefined;
      for (let i = 0; i < 10; i++) last = (await client.appendToStream(noise, events(10))).position;
      await recorder.waitFor((r) => r.checkpoints.length >= atLive + 2, 'checkpoints over filtered-out live events');
      await client.appendToStream(watched, events(1), { expectedRevision: NO_STREAM });
      await recorder.waitFor((r) => r.events.length === 1, 'the matching event');
      assert.deepEqual(streamsOf(recorder), [watched]);
      assertStrictlyIncreasing(recorder.checkpoints, 'checkpoints');
      const liveCheckpoints = recorder.checkpoints.slice(atLive);
      assert.ok(
        liveCheckpoints.every((p) => p.commit <= last!.commit),
        'a checkpoint never runs ahead of the log',
      );
    });
  });
}
