import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { BACKWARDS, END, FORWARDS, type EventStoreDBClient } from '@eventstore/db-client';
import { rawBytesOf } from '../../src/client/raw-bytes.js';
import { checkpointStreamName } from '../../src/link/bookkeeping.js';
import { noopLinkMetrics, type LinkMetrics } from '../../src/link/link-metrics.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendRaw, assertSame, jsonData, linkOptions, settle, startLink, twoNodes } from './link-fixture.js';

const enc = new TextEncoder();

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await sleep(20);
  assert.ok(check());
}

async function rawEvents(client: EventStoreDBClient, stream: string) {
  const out: { id: string; revision: bigint; metadata: string; data: Uint8Array }[] = [];
  for await (const e of client.readStream(stream, { direction: FORWARDS })) {
    if (!e.event) continue;
    const raw = rawBytesOf(e.event);
    out.push({
      id: e.event.id,
      revision: e.event.revision,
      metadata: Buffer.from(raw.metadata).toString(),
      data: raw.data,
    });
  }
  return out;
}

/** A workload with every shape a replica must keep; returns the stream names. */
async function mixedWorkload(a: EventStoreDBClient, tag: string) {
  const s = {
    json: `orders-${tag}`,
    binary: `blobs-${tag}`,
    meta: `meta-${tag}`,
    capped: `capped-${tag}`,
    soft: `soft-${tag}`,
    undeleted: `undeleted-${tag}`,
    tomb: `tomb-${tag}`,
    big: `big-${tag}`,
  };
  for (let i = 0; i < 20; i++) {
    await appendRaw(a, `${s.json}-${i % 5}`, [
      { data: jsonData({ i }) },
      { data: enc.encode(`{ "spaced" :  ${i} , "n": 1.50 }`) },
    ]);
  }
  await appendRaw(a, s.binary, [
    { binary: true, data: new Uint8Array([0, 1, 2, 255, 254]) },
    { binary: true, data: new Uint8Array(0) },
  ]);
  await appendRaw(a, s.meta, [
    { metadata: undefined },
    { metadata: '{"$correlationId":"c-1","$causationId":"c-0","big":9223372036854775807,"f":1.0}' },
    { metadata: '[1,2,3]' },
    { metadata: '"just a string"' },
    { metadata: new Uint8Array([0xff, 0xfe, 0x00, 0x01]) },
    { metadata: '{ }' },
  ]);
  await appendRaw(a, s.capped, [{}, {}, {}, {}, {}]);
  await a.setStreamMetadata(s.capped, { maxCount: 2 });
  await appendRaw(a, s.soft, [{}, {}]);
  await a.deleteStream(s.soft);
  await appendRaw(a, s.undeleted, [{}, {}]);
  await a.deleteStream(s.undeleted);
  await appendRaw(a, s.undeleted, [{}]);
  await appendRaw(a, s.tomb, [{}, {}, {}]);
  await a.tombstoneStream(s.tomb);
  await appendRaw(a, s.big, [{ binary: true, data: new Uint8Array(700 * 1024).fill(7) }, {}]);
  return s;
}

test('mixed workload: catch-up then live, exact copy of every shape', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const tag = randomUUID().slice(0, 8);
  const before = await mixedWorkload(a, `${tag}-a`);
  const options = linkOptions('dc1', 'dc2');
  const seen = { replicated: 0, checkpoints: [] as bigint[], states: [] as string[], batchSizes: 0, latencies: 0 };
  const metrics: LinkMetrics = {
    ...noopLinkMetrics,
    replicated: (n) => (seen.replicated += n),
    checkpoint: (c) => seen.checkpoints.push(c),
    state: (s) => seen.states.push(s),
    batchSize: () => seen.batchSizes++,
    appendLatency: () => seen.latencies++,
  };
  const link = startLink(t, dc1, dc2, options, { metrics });
  await link.start();
  await settle(link, a);
  assert.equal(link.status().caughtUp, true);
  assert.equal(link.status().phase, 'live');
  const live = await mixedWorkload(a, `${tag}-b`);
  await settle(link, a);
  await assertSame(a, b);

  // User metadata kept textually, with the annotations appended.
  const meta = await rawEvents(b, before.meta);
  assert.equal(meta.length, 6);
  assert.match(
    meta[0]!.metadata,
    /^\{"\$origin":"dc1","\$applies":"[^"]+\.\d{7}Z","\$eventStreamId":"meta-[^"]+","\$eventNumber":0\}$/,
  );
  assert.ok(
    meta[1]!.metadata.startsWith(
      '{"$correlationId":"c-1","$causationId":"c-0","big":9223372036854775807,"f":1.0,"$origin":"dc1",',
    ),
    meta[1]!.metadata,
  );
  assert.equal(meta[2]!.metadata, '[1,2,3]');
  assert.equal(meta[3]!.metadata, '"just a string"');
  const rawMeta = b.readStream(before.meta, { fromRevision: 4n, maxCount: 1 });
  for await (const e of rawMeta)
    if (e.event) assert.deepEqual([...rawBytesOf(e.event).metadata], [0xff, 0xfe, 0x00, 0x01]);
  assert.match(meta[5]!.metadata, /^\{ "\$origin":"dc1",/);
  const spaced = await rawEvents(b, `${live.json}-0`);
  assert.equal(Buffer.from(spaced[1]!.data).toString(), '{ "spaced" :  0 , "n": 1.50 }');

  const status = link.status();
  assert.equal(seen.replicated, status.eventsReplicated);
  assert.ok(seen.latencies > 0 && seen.batchSizes > 0);
  assert.deepEqual(seen.states, ['idle', 'starting', 'running']);
  await until(() => seen.checkpoints.at(-1) === BigInt(link.status().checkpoint!.commit));
  assert.equal(status.state, 'running');
  assert.equal(status.lagEvents, 0);
  assert.equal(status.conflicts, 0);
  assert.ok(status.eventsReplicated > 100, `replicated ${status.eventsReplicated}`);
  assert.ok(status.checkpoint !== null);
});

test('stop and restart resume from the checkpoint without duplicates', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const tag = randomUUID().slice(0, 8);
  await mixedWorkload(a, `${tag}-a`);
  const options = linkOptions('dc1', 'dc2');
  const first = startLink(t, dc1, dc2, options);
  await first.start();
  await settle(first, a);
  const stopping = first.stop();
  assert.equal(first.stop(), stopping, 'stop() is memoized');
  await stopping;
  assert.equal(first.status().state, 'stopped');
  await first.done;
  await first.stop();
  await assert.rejects(first.waitForPosition({ commit: 1n, prepare: 1n }), /stopped/);
  await assert.rejects(first.start(), /cannot go from stopped to starting/);
  const stored = first.status().checkpoint;

  await mixedWorkload(a, `${tag}-b`);
  const second = startLink(t, dc1, dc2, options);
  await second.start();
  await settle(second, a);
  await assertSame(a, b);
  // It resumed after the stored checkpoint: nothing before it was looked at again.
  assert.ok(stored);
  assert.equal(
    second.status().eventsSkipped + second.status().eventsReplicated < first.status().eventsReplicated * 2,
    true,
  );
  const checkpoints: string[] = [];
  for await (const e of b.readStream(checkpointStreamName(options.name), {
    direction: BACKWARDS,
    fromRevision: END,
    maxCount: 1,
  })) {
    if (e.event) checkpoints.push(Buffer.from(rawBytesOf(e.event).data).toString());
  }
  assert.equal(checkpoints.length, 1);
  assert.match(checkpoints[0]!, new RegExp(`"link":"${options.name}"`));
});

test('a replay from an old checkpoint writes nothing twice', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const tag = randomUUID().slice(0, 8);
  await mixedWorkload(a, tag);
  const options = linkOptions('dc1', 'dc2');
  const first = startLink(t, dc1, dc2, options);
  await first.start();
  await settle(first, a);
  await first.stop();
  const copied = await userEventsInAll(b);
  // Forget the checkpoint as a crash right after the appends would: everything is read and sent again.
  await b.deleteStream(checkpointStreamName(options.name));
  const again = startLink(t, dc1, dc2, options);
  await again.start();
  await settle(again, a);
  await assertSame(a, b);
  assert.equal(again.status().conflicts, 0);
  assert.equal(await userEventsInAll(b), copied, 'the destination log holds no second copy');
});

async function userEventsInAll(client: EventStoreDBClient): Promise<number> {
  let n = 0;
  for await (const e of client.readAll()) if (e.event && !e.event.streamId.startsWith('$')) n++;
  return n;
}
