import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { FORWARDS, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { rawBytesOf } from '../../src/client/raw-bytes.js';
import { conflictStreamName } from '../../src/link/bookkeeping.js';
import { isLinkerError } from '../../src/shared/errors.js';
import { captureLogger } from '../helpers/capture-logger.js';
import type { TestNode } from '../helpers/nodes.js';
import { readCheckpoint } from '../helpers/stream-compare.js';
import { appendRaw, assertSame, linkOptions, nodesFor, settle, startLink, twoNodes } from './link-fixture.js';

interface Stored {
  id: string;
  type: string;
  revision: bigint;
  metadata: Record<string, unknown>;
  dataLength: number;
}

async function read(client: EventStoreDBClient, stream: string): Promise<Stored[]> {
  const out: Stored[] = [];
  try {
    for await (const e of client.readStream(stream, { direction: FORWARDS })) {
      if (!e.event) continue;
      const raw = rawBytesOf(e.event);
      let metadata: Record<string, unknown> = {};
      try {
        metadata = JSON.parse(Buffer.from(raw.metadata).toString()) as Record<string, unknown>;
      } catch {
        metadata = {};
      }
      out.push({
        id: e.event.id,
        type: e.event.type,
        revision: e.event.revision,
        metadata,
        dataLength: raw.data.length,
      });
    }
  } catch (err) {
    if (err instanceof StreamNotFoundError) return [];
    throw err;
  }
  return out;
}

/** dc1 and dc2 both wrote stream `s` before the link started: dc1's first event conflicts with dc2's. */
async function diverged(a: EventStoreDBClient, b: EventStoreDBClient) {
  const s = `shared-${randomUUID().slice(0, 8)}`;
  const clean = `clean-${randomUUID().slice(0, 8)}`;
  const e1 = randomUUID();
  await appendRaw(a, s, [{ id: e1, metadata: '{"who":"dc1"}' }]);
  await appendRaw(b, s, [{ metadata: '{"who":"dc2"}' }]);
  await appendRaw(a, clean, [{}, {}]);
  return { s, clean, e1 };
}

test('conflicts: stream policy records the event in the conflict stream and moves on', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const { s, clean, e1 } = await diverged(a, b);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { conflicts: 'stream' }));
  await link.start();
  await settle(link, a);
  assert.equal(link.status().conflicts, 1);
  const records = await read(b, conflictStreamName('dc1', 'dc2'));
  assert.equal(records.length, 1);
  assert.equal(records[0]!.metadata.$originalEventId, e1);
  assert.equal(records[0]!.metadata.$originalStreamId, s);
  assert.equal(records[0]!.metadata.$originalEventNumber, '0');
  assert.equal(records[0]!.metadata.$expectedRevision, 'no_stream');
  assert.equal(records[0]!.metadata.$actualRevision, '0');
  assert.equal(records[0]!.metadata.who, 'dc1');
  assert.equal(typeof records[0]!.metadata.$error, 'string');
  assert.equal((await read(b, s)).length, 1, "dc2's own event is untouched");
  await assertSame(a, b, { includeStreamPrefixes: [clean] });

  // A replay (restart without a checkpoint) does not record the conflict twice.
  await link.stop();
  await b.deleteStream(`$linker-checkpoint-${link.status().name}`);
  const again = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { conflicts: 'stream', name: link.status().name }));
  await again.start();
  await settle(again, a);
  assert.equal((await read(b, conflictStreamName('dc1', 'dc2'))).length, 1);
});

test('conflicts: stream policy, a run of taken slots: each event recorded once in order, later ones appended', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const s = `both-${randomUUID().slice(0, 8)}`;
  const ours = Array.from({ length: 6 }, () => randomUUID());
  await appendRaw(
    b,
    s,
    Array.from({ length: 4 }, (_, i) => ({ metadata: `{"who":"dc2","n":${i}}` })),
  );
  await appendRaw(
    a,
    s,
    ours.map((id, i) => ({ id, metadata: `{"who":"dc1","n":${i}}` })),
  );
  const conflictStream = conflictStreamName('dc1', 'dc2');
  const before = (await read(b, conflictStream)).length;
  const { logger, lines } = captureLogger('info');
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { conflicts: 'stream' }), { logger });
  await link.start();
  await settle(link, a);
  const records = (await read(b, conflictStream)).slice(before).filter((r) => r.metadata.$originalStreamId === s);
  // The log names every conflict, but a run of them in one line (a shared stream conflicts on every event).
  const logged = lines.filter((l) => l.stream === s && String(l.msg).startsWith('conflict:'));
  assert.equal(
    logged.reduce((n, l) => n + (typeof l.count === 'number' ? l.count : 1), 0),
    4,
    'four conflicts logged',
  );
  assert.ok(logged.length < 4, `a run is one line (${logged.length} lines)`);
  assert.deepEqual(
    logged.flatMap((l) => (Array.isArray(l.eventIds) ? (l.eventIds as string[]) : [l.eventId])),
    ours.slice(0, 4),
  );
  // dc2 holds its own events at 0..3: dc1's first four are conflicts; 4 and 5 land in free slots.
  assert.deepEqual(
    records.map((r) => r.metadata.$originalEventId),
    ours.slice(0, 4),
  );
  assert.deepEqual(
    records.map((r) => [r.metadata.$originalEventNumber, r.metadata.$expectedRevision]),
    [
      ['0', 'no_stream'],
      ['1', '0'],
      ['2', '1'],
      ['3', '2'],
    ],
  );
  assert.equal(link.status().conflicts, 4);
  const dest = await read(b, s);
  assert.deepEqual(
    dest.map((e) => e.metadata.who),
    ['dc2', 'dc2', 'dc2', 'dc2', 'dc1', 'dc1'],
  );
  assert.deepEqual(
    dest.slice(4).map((e) => e.id),
    ours.slice(4),
  );

  // A replay records none of them twice and appends nothing again.
  await link.stop();
  await b.deleteStream(`$linker-checkpoint-${link.status().name}`);
  const again = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { conflicts: 'stream', name: link.status().name }));
  await again.start();
  await settle(again, a);
  const after = (await read(b, conflictStream)).slice(before).filter((r) => r.metadata.$originalStreamId === s);
  assert.equal(after.length, 4);
  assert.equal((await read(b, s)).length, 6);
});

test('conflicts: metadata policy appends anyway with the details in its metadata', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const { s, e1 } = await diverged(a, b);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { conflicts: 'metadata' }));
  await link.start();
  await settle(link, a);
  // A later event of the stream follows the conflicting one.
  await appendRaw(a, s, [{}]);
  await settle(link, a);
  const events = await read(b, s);
  assert.equal(events.length, 3);
  assert.equal(events[1]!.id, e1);
  assert.equal(events[1]!.metadata.who, 'dc1');
  assert.equal(events[1]!.metadata.$originalStreamId, s);
  assert.equal(events[1]!.metadata.$expectedRevision, 'no_stream');
  assert.equal(typeof events[1]!.metadata.$conflictAt, 'string');
  assert.equal(events[2]!.metadata.$eventNumber, 1);
  assert.equal(link.status().conflicts, 1);
});

test('conflicts: halt policy fails the link and keeps the checkpoint before the conflict', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  const a = dc1.client();
  const b = dc2.client();
  const { s } = await diverged(a, b);
  let conflictAt: bigint | undefined;
  for await (const e of a.readStream(s, { maxCount: 1 })) conflictAt = e.event?.position?.commit;
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { conflicts: 'halt' }));
  await link.start();
  await assert.rejects(link.done, (err: unknown) => isLinkerError(err, 'ESDBL_LINK_CONFLICT_HALT'));
  const status = link.status();
  assert.equal(status.state, 'failed');
  assert.equal(status.lastError?.code, 'ESDBL_LINK_CONFLICT_HALT');
  assert.equal(status.conflicts, 1, 'the conflict that halted the link is counted');
  await assert.rejects(link.waitForPosition({ commit: 1n, prepare: 1n }), (err: unknown) =>
    isLinkerError(err, 'ESDBL_LINK_CONFLICT_HALT'),
  );
  assert.equal((await read(b, conflictStreamName('dc1', 'dc2'))).length, 0);
  const stored = await readCheckpoint(b, status.name);
  assert.ok(conflictAt !== undefined);
  assert.ok(stored === null || BigInt(stored.commit) < conflictAt, 'the checkpoint stays before the conflicting event');
  await link.stop();
  assert.equal(link.status().state, 'failed');
});

test('an event too large for the destination follows the conflict policy instead of blocking', async (t) => {
  const [dc1] = await nodesFor(t, ['dc1']);
  const [dc2] = (await nodesFor(t, ['dc2'], { maxAppendSize: 64 * 1024 })) as [TestNode];
  const a = dc1!.client();
  const b = dc2.client();
  const s = `big-${randomUUID().slice(0, 8)}`;
  const bigId = randomUUID();
  await appendRaw(a, s, [{}]);
  await appendRaw(a, s, [{ id: bigId, binary: true, data: new Uint8Array(100 * 1024).fill(1), metadata: '{"m":1}' }]);
  await appendRaw(a, `after-${s}`, [{}, {}]);
  const link = startLink(t, dc1!, dc2, linkOptions('dc1', 'dc2', { conflicts: 'stream' }));
  await link.start();
  await settle(link, a);
  const records = await read(b, conflictStreamName('dc1', 'dc2'));
  assert.equal(records.length, 1);
  assert.equal(records[0]!.metadata.$originalEventId, bigId);
  assert.equal(records[0]!.metadata.$dataOmittedBytes, String(100 * 1024));
  assert.equal(records[0]!.dataLength, 0);
  assert.equal((await read(b, s)).length, 1);
  assert.equal((await read(b, `after-${s}`)).length, 2, 'the link went on');
  assert.equal(link.status().state, 'running');
});
