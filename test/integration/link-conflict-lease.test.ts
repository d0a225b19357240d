import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { FORWARDS, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { rawBytesOf } from '../../src/client/raw-bytes.js';
import { conflictStreamName } from '../../src/link/bookkeeping.js';
import { LinkerService } from '../../src/link/linker-service.js';
import { silentLogger } from '../../src/observability/logger.js';
import { isLinkerError } from '../../src/shared/errors.js';
import type { TestNode } from '../helpers/nodes.js';
import { appendRaw, linkOptions, settle, twoNodes } from './link-fixture.js';

async function conflictRecords(client: EventStoreDBClient): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  try {
    for await (const e of client.readStream(conflictStreamName('dc1', 'dc2'), { direction: FORWARDS })) {
      if (e.event)
        out.push(JSON.parse(Buffer.from(rawBytesOf(e.event).metadata).toString()) as Record<string, unknown>);
    }
  } catch (err) {
    if (!(err instanceof StreamNotFoundError)) throw err;
  }
  return out;
}

function leaseLink(
  t: { after(fn: () => Promise<void>): void },
  dc1: TestNode,
  dc2: TestNode,
  guard: () => Promise<{ epoch: number } | null>,
): LinkerService {
  const link = new LinkerService({
    options: linkOptions('dc1', 'dc2', { conflicts: 'stream' }),
    origin: { name: 'dc1', client: dc1.client() },
    destination: { name: 'dc2', client: dc2.client() },
    logger: silentLogger(),
    beforeConflictRecord: guard,
  });
  t.after(() => link.stop({ graceMs: 500 }));
  return link;
}

async function diverge(dc1: TestNode, dc2: TestNode): Promise<void> {
  const s = `shared-${randomUUID().slice(0, 8)}`;
  await appendRaw(dc1.client(), s, [{ metadata: '{"who":"dc1"}' }]);
  await appendRaw(dc2.client(), s, [{ metadata: '{"who":"dc2"}' }]);
}

test('cluster mode: a conflict record is written only after the lease is confirmed, and carries its epoch', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  await diverge(dc1, dc2);
  let asked = 0;
  const link = leaseLink(t, dc1, dc2, async () => {
    asked++;
    return { epoch: 7 };
  });
  await link.start();
  await settle(link, dc1.client());
  const records = await conflictRecords(dc2.client());
  assert.equal(records.length, 1);
  assert.equal(records[0]!.$leaseEpoch, '7');
  assert.equal(asked, 1, 'the guard ran once, before the write');
});

test('cluster mode: with the lease gone the link writes no conflict record and stops before it', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  await diverge(dc1, dc2);
  const link = leaseLink(t, dc1, dc2, async () => null);
  await link.start();
  await assert.rejects(link.done, (err: unknown) => isLinkerError(err, 'ESDBL_CLUSTER_LEASE_LOST'));
  assert.equal((await conflictRecords(dc2.client())).length, 0, 'left to the next owner');
  assert.equal(link.status().state, 'failed');
});
