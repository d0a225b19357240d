import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FORWARDS, StreamDeletedError, type EventStoreDBClient } from '@eventstore/db-client';
import { rawBytesOf } from '../../src/client/raw-bytes.js';
import { CheckpointStore } from '../../src/link/checkpoint/checkpoint-store.js';
import { appendRaw, assertSame, linkOptions, settle, startLink, twoNodes } from './link-fixture.js';

async function events(client: EventStoreDBClient, stream: string) {
  const out: { id: string; revision: bigint; type: string; metadata: Record<string, unknown> }[] = [];
  for await (const e of client.readStream(stream, { direction: FORWARDS })) {
    if (!e.event) continue;
    const meta = Buffer.from(rawBytesOf(e.event).metadata).toString();
    out.push({
      id: e.event.id,
      revision: e.event.revision,
      type: e.event.type,
      metadata: meta ? JSON.parse(meta) : {},
    });
  }
  return out;
}

async function userOrder(client: EventStoreDBClient, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of client.readAll()) if (e.event?.streamId.startsWith(prefix)) ids.push(e.event.id);
  return ids;
}

test('an origin stream that starts above 0 is copied from destination revision 0, also after a restart', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const s = `truncated-${randomUUID().slice(0, 8)}`;
  const ids = Array.from({ length: 5 }, () => randomUUID());
  for (const id of ids) await appendRaw(a, s, [{ id }]);
  // The link starts after event 2 (as if 0..2 had been scavenged): it first sees revision 3.
  let after2: { commit: bigint; prepare: bigint } | undefined;
  for await (const e of a.readStream(s, { fromRevision: 2n, maxCount: 1 })) after2 = e.event?.position;
  const options = linkOptions('dc1', 'dc2');
  await new CheckpointStore(b, options.name, () => Date.now()).write(after2!);

  const first = startLink(t, dc1, dc2, options);
  await first.start();
  await settle(first, a);
  await first.stop();
  let copied = await events(b, s);
  assert.deepEqual(
    copied.map((e) => e.id),
    ids.slice(3),
  );
  assert.deepEqual(
    copied.map((e) => e.revision),
    [0n, 1n],
  );
  assert.equal(copied[0]!.metadata.$eventNumber, 3);

  // A new process knows nothing of the offset: it derives it from the destination's last event.
  const later = randomUUID();
  await appendRaw(a, s, [{ id: later }]);
  const second = startLink(t, dc1, dc2, options);
  await second.start();
  await settle(second, a);
  copied = await events(b, s);
  assert.deepEqual(
    copied.map((e) => e.id),
    [...ids.slice(3), later],
  );
  assert.equal(second.status().conflicts, 0);
});

test('an excluded event type leaves a gap that later events close up', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const s = `typed-${randomUUID().slice(0, 8)}`;
  await appendRaw(a, s, [{ type: 'Keep' }, { type: 'SecretThing' }, { type: 'Keep' }, { type: 'Keep' }]);
  const link = startLink(
    t,
    dc1,
    dc2,
    linkOptions('dc1', 'dc2', { filter: { ...linkOptions('x', 'y').filter, excludeEventTypeRegex: '^Secret' } }),
  );
  await link.start();
  await settle(link, a);
  const copied = await events(b, s);
  assert.deepEqual(
    copied.map((e) => e.type),
    ['Keep', 'Keep', 'Keep'],
  );
  assert.deepEqual(
    copied.map((e) => e.metadata.$eventNumber),
    [0, 2, 3],
  );
  assert.equal(link.status().conflicts, 0);
  assert.ok(link.status().eventsSkipped >= 1);
});

test('ordering global keeps the origin order in the destination $all', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const tag = `g-${randomUUID().slice(0, 8)}`;
  for (let i = 0; i < 30; i++) await appendRaw(a, `${tag}-${i % 4}`, [{}, {}]);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { ordering: 'global', lanes: 8 }));
  await link.start();
  await settle(link, a);
  for (let i = 0; i < 10; i++) await appendRaw(a, `${tag}-${i % 3}`, [{}]);
  await settle(link, a);
  assert.deepEqual(await userOrder(b, tag), await userOrder(a, tag));
  await assertSame(a, b);
});

test('replicateTombstones false leaves the destination stream alive', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const s = `tomb-${randomUUID().slice(0, 8)}`;
  await appendRaw(a, s, [{}, {}]);
  await a.tombstoneStream(s);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { replicateTombstones: false }));
  await link.start();
  await settle(link, a);
  assert.equal((await events(b, s)).length, 2);
  await assert.rejects(events(a, s), StreamDeletedError);
});
