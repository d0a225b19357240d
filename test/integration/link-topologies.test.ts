import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FORWARDS, type EventStoreDBClient } from '@eventstore/db-client';
import { rawBytesOf } from '../../src/client/raw-bytes.js';
import type { TestNode } from '../helpers/nodes.js';
import { appendRaw, assertSame, jsonData, linkOptions, nodesFor, settle, startLink, twoNodes } from './link-fixture.js';

async function userEvents(client: EventStoreDBClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of client.readAll({ direction: FORWARDS })) {
    if (e.event && !e.event.streamId.startsWith('$')) ids.push(`${e.event.streamId}/${e.event.id}`);
  }
  return ids;
}

test('active/active: both sides write, nothing bounces back', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const tag = randomUUID().slice(0, 8);
  for (let i = 0; i < 5; i++) {
    await appendRaw(a, `left-${tag}-${i}`, [{ data: jsonData({ i }) }, { metadata: '{"k":1}' }]);
    await appendRaw(b, `right-${tag}-${i}`, [{ data: jsonData({ i }) }, {}]);
  }
  const ab = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  const ba = startLink(t, dc2, dc1, linkOptions('dc2', 'dc1'));
  await Promise.all([ab.start(), ba.start()]);
  await Promise.all([settle(ab, a), settle(ba, b)]);
  // Live writes on both sides, including an event marked local that must stay where it was written.
  await appendRaw(a, `left-${tag}-0`, [{ metadata: '{"$local":true}' }, {}]);
  await appendRaw(b, `right-${tag}-0`, [{}]);
  await Promise.all([settle(ab, a), settle(ba, b)]);
  await Promise.all([settle(ab, a), settle(ba, b)]);

  const [onA, onB] = await Promise.all([userEvents(a), userEvents(b)]);
  assert.equal(new Set(onA).size, onA.length, 'no duplicate on dc1');
  assert.equal(new Set(onB).size, onB.length, 'no duplicate on dc2');
  assert.equal(onA.length, 5 * 4 + 3);
  assert.equal(onB.length, 5 * 4 + 2, 'the $local event stayed on dc1');
  await assertSame(b, a, { includeStreamPrefixes: [`right-${tag}`] });
  assert.ok(ba.status().eventsSkipped >= 10, 'dc2->dc1 skipped the events that came from dc1');
  assert.ok(ab.status().eventsSkipped >= 10, 'dc1->dc2 skipped the events that came from dc2');
  assert.equal(ab.status().conflicts + ba.status().conflicts, 0);
});

test('chain dc1 -> dc2 -> dc3 extends $origin; stream prefix names the destination streams', async (t) => {
  const [dc1, dc2, dc3] = (await nodesFor(t, ['dc1', 'dc2', 'dc3'])) as [TestNode, TestNode, TestNode];
  const a = dc1.client();
  const c = dc3.client();
  const stream = `chain-${randomUUID().slice(0, 8)}`;
  await appendRaw(a, stream, [{ metadata: '{"user":"u"}' }, {}]);
  await a.setStreamMetadata(stream, { maxCount: 10 });
  const ab = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  const bc = startLink(t, dc2, dc3, linkOptions('dc2', 'dc3', { streamPrefix: 'from-dc2-' }));
  await Promise.all([ab.start(), bc.start()]);
  await settle(ab, a);
  await settle(bc, dc2.client());
  await assertSame(a, c, { streamPrefix: 'from-dc2-', includeStreamPrefixes: [stream] });
  for await (const e of c.readStream(`from-dc2-${stream}`, { maxCount: 1 })) {
    const meta = Buffer.from(rawBytesOf(e.event!).metadata).toString();
    assert.match(
      meta,
      /^\{"user":"u","\$origin":"dc1,dc2","\$applies":"[^"]+","\$eventStreamId":"chain-[^"]+","\$eventNumber":0\}$/,
    );
  }
});
