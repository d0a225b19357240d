// Link events (`$>` with data `N@stream`) and resolveLinkTos through the public client, in stream reads, $all
// reads and subscriptions.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  NO_STREAM,
  START,
  binaryEvent,
  jsonEvent,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type EventData,
  type EventStoreDBClient,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { SubscriptionRecorder } from '../helpers/conformance-subscription.js';
import {
  SERVER_VARIANTS,
  collect,
  openTarget,
  uniqueStream,
  variantSkipReason,
} from '../helpers/conformance-target.js';

function link(revision: number, stream: string): EventData {
  return binaryEvent({ id: randomUUID(), type: '$>', data: Buffer.from(`${revision}@${stream}`, 'utf8') });
}

/** A target stream with three events and a link stream pointing at revisions 2 and 0 of it. */
async function linked(client: EventStoreDBClient): Promise<{ target: string; links: string }> {
  const target = uniqueStream('link-target');
  const links = uniqueStream('link-list');
  await client.appendToStream(
    target,
    [0, 1, 2].map((i) => jsonEvent({ type: 'Targeted', data: { i } })),
    { expectedRevision: NO_STREAM },
  );
  await client.appendToStream(links, [link(2, target), link(0, target)], { expectedRevision: NO_STREAM });
  return { target, links };
}

function assertResolved(e: ResolvedEvent, target: string, links: string, revision: bigint, linkRevision: bigint): void {
  assert.equal(e.event?.streamId, target);
  assert.equal(e.event.revision, revision);
  assert.equal(e.event.type, 'Targeted');
  assert.deepEqual(e.event.data, { i: Number(revision) });
  assert.equal(e.link?.streamId, links);
  assert.equal(e.link.type, '$>');
  assert.equal(e.link.revision, linkRevision);
}

for (const variant of SERVER_VARIANTS) {
  describe(`links and resolveLinkTos (${variant.name})`, { skip: variantSkipReason(variant) }, () => {
    test('readStream with resolveLinkTos yields the target as event and the link record as link', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const { target, links } = await linked(client);
      const read = await collect(client.readStream(links, { resolveLinkTos: true }));
      assert.equal(read.length, 2);
      assertResolved(read[0]!, target, links, 2n, 0n);
      assertResolved(read[1]!, target, links, 0n, 1n);
    });

    test('without resolveLinkTos the raw $> record comes back with its N@stream data', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const { target, links } = await linked(client);
      const read = await collect(client.readStream(links));
      assert.equal(read[0]!.link, undefined);
      assert.equal(read[0]!.event!.type, '$>');
      assert.equal(Buffer.from(read[0]!.event!.data as Uint8Array).toString('utf8'), `2@${target}`);
    });

    test('a link to a truncated or missing target comes back with only the link', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const { target, links } = await linked(client);
      await client.appendToStream(links, [link(0, uniqueStream('link-nowhere'))], { expectedRevision: 1n });
      await client.setStreamMetadata(target, { truncateBefore: 1 });
      const read = await collect(client.readStream(links, { resolveLinkTos: true }));
      assert.equal(read.length, 3);
      assertResolved(read[0]!, target, links, 2n, 0n);
      for (const unresolved of [read[1]!, read[2]!]) {
        assert.equal(unresolved.event, undefined, 'nothing to resolve to');
        assert.equal(unresolved.link?.type, '$>');
        assert.equal(unresolved.link.streamId, links);
      }
    });

    test('readAll with resolveLinkTos: the commit position is the link record position', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const target = uniqueStream('link-target');
      const links = uniqueStream('link-list');
      const first = await client.appendToStream(target, jsonEvent({ type: 'Targeted', data: { i: 0 } }), {
        expectedRevision: NO_STREAM,
      });
      const linkWrite = await client.appendToStream(links, link(0, target), { expectedRevision: NO_STREAM });
      const read = (
        await collect(client.readAll({ fromPosition: first.position!, resolveLinkTos: true, maxCount: 1000 }))
      ).filter((e: AllStreamResolvedEvent) => e.link?.streamId === links);
      assert.equal(read.length, 1);
      assert.equal(read[0]!.event?.streamId, target);
      assert.equal(read[0]!.commitPosition, linkWrite.position!.commit);
      assert.deepEqual(read[0]!.link!.position, linkWrite.position);
    });

    test('subscriptions resolve links too', async (t) => {
      const client = (await openTarget(t, variant)).client();
      const { target, links } = await linked(client);
      const streamSub = new SubscriptionRecorder<ResolvedEvent>();
      streamSub.attach(client.subscribeToStream(links, { fromRevision: START, resolveLinkTos: true }));
      const allSub = new SubscriptionRecorder<AllStreamResolvedEvent>();
      allSub.attach(
        client.subscribeToAll({
          fromPosition: START,
          resolveLinkTos: true,
          filter: streamNameFilter({ prefixes: [links] }),
        }),
      );
      await streamSub.waitFor((r) => r.events.length === 2, 'both links on the stream subscription');
      await allSub.waitFor((r) => r.events.length === 2, 'both links on the $all subscription');
      assertResolved(streamSub.events[0]!, target, links, 2n, 0n);
      assertResolved(streamSub.events[1]!, target, links, 0n, 1n);
      assert.deepEqual(
        allSub.events.map((e) => [e.event?.streamId, e.event?.revision, e.link?.streamId]),
        [
          [target, 2n, links],
          [target, 0n, links],
        ],
      );
    });
  });
}
