import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { conflictStreamName } from '../../src/link/bookkeeping.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { REPLICATION_ANNOTATION_KEYS } from '../../src/verify/annotation-keys.js';
import { runActiveActive } from '../helpers/topology-active-active.js';
import { settle } from '../helpers/topology-daemon.js';
import {
  annotatable,
  checkPlacement,
  countNonBookkeepingEvents,
  jsonObjectOf,
  originChainOf,
  originLoops,
  readAllEvents,
} from '../helpers/topology-inspect.js';
import type { MetadataShapes } from '../helpers/topology-workload.js';

function withoutAnnotations(meta: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(meta).filter(([k]) => !REPLICATION_ANNOTATION_KEYS.has(k)));
}

async function checkMetadataPolicy(t: TestContext, metadata: MetadataShapes): Promise<void> {
  const aa = await runActiveActive(t, { policy12: 'metadata', policy21: 'metadata', metadata });
  const [c1, c2] = aa.clients;
  await settle(aa.daemon, [
    { name: aa.link12, origin: c1 },
    { name: aa.link21, origin: c2 },
  ]);

  for (const [origin, destination, prefix] of [
    [c1, c2, aa.prefixes.one1],
    [c2, c1, aa.prefixes.one2],
  ] as const) {
    const result = await compareNodes(origin, destination, { includeStreamPrefixes: [prefix] });
    assert.deepEqual(result.differences, [], `streams ${prefix}* differ`);
  }

  const status = aa.daemon.status();
  const byName = new Map(status.links.map((l) => [l.name, l]));
  const stored = { dc1: await readAllEvents(c1), dc2: await readAllEvents(c2) };
  for (const [node, other, link] of [
    ['dc1', 'dc2', aa.link21],
    ['dc2', 'dc1', aa.link12],
  ] as const) {
    const conflictStream = conflictStreamName(other, node);
    const own = checkPlacement(stored[node], aa.written[node], { streamOf: (e) => e.stream, conflictStreams: [] });
    assert.deepEqual(own.problems, [], `events written on ${node} are in place on ${node}`);
    const copied = checkPlacement(stored[node], aa.written[other], {
      streamOf: (e) => e.stream,
      conflictStreams: [conflictStream],
    });
    assert.deepEqual(copied.problems, [], `events written on ${other} reached ${node}`);

    // Conflicting events written on `other` and appended to `node`'s stream anyway carry the conflict record.
    const writtenById = new Map(aa.written[other].map((w) => [w.id, w]));
    const flagged = stored[node].filter(
      (e) => e.streamId.startsWith(aa.prefixes.both) && jsonObjectOf(e.metadata)?.$error !== undefined,
    );
    for (const e of flagged) {
      const w = writtenById.get(e.id);
      assert.ok(w, `${node}: ${e.streamId}@${e.revision} carries $error but was not written on ${other}`);
      const meta = jsonObjectOf(e.metadata)!;
      assert.equal(typeof meta.$error, 'string');
      assert.equal(meta.$originalStreamId, w.stream);
      assert.equal(typeof meta.$expectedRevision, 'string');
      assert.equal(typeof meta.$actualRevision, 'string');
      assert.deepEqual(originChainOf(e.metadata), [other], 'the conflict keeps the loop-prevention annotation');
      assert.deepEqual(
        withoutAnnotations(meta),
        withoutAnnotations(jsonObjectOf(w.metadata) ?? {}),
        'the application metadata is kept',
      );
    }
    // Only what cannot carry keys (metadata that is not a JSON object) goes to the conflict stream instead.
    const recorded = stored[node].filter(
      (e) => e.streamId === conflictStream && String(jsonObjectOf(e.metadata)?.$originalStreamId).startsWith(aa.run),
    );
    for (const r of recorded) {
      const w = writtenById.get(String(jsonObjectOf(r.metadata)?.$originalEventId));
      assert.ok(w, `${conflictStream} holds an event written on ${other}`);
      assert.equal(annotatable(w.metadata), false, `${w.id} has JSON-object metadata: it belongs in ${w.stream}`);
    }
    const linkStatus = byName.get(link);
    assert.ok(linkStatus, `status lists ${link}`);
    assert.equal(linkStatus.state, 'running');
    assert.ok(linkStatus.conflicts > 0, `${link} counted its conflicts`);
    assert.equal(linkStatus.conflicts, flagged.length + recorded.length, `${link} counts each conflicting event once`);
    assert.equal(copied.inConflictStreams, recorded.length);
  }
  assert.equal(status.ready, true);

  for (const node of ['dc1', 'dc2'] as const) {
    assert.deepEqual(
      originLoops(node, stored[node], (s) => s.startsWith(aa.run) || s.startsWith('$conflicts-')),
      [],
    );
  }
  const before = await Promise.all([countNonBookkeepingEvents(c1), countNonBookkeepingEvents(c2)]);
  await delay(2_000);
  const after = await Promise.all([countNonBookkeepingEvents(c1), countNonBookkeepingEvents(c2)]);
  assert.deepEqual(after, before, 'no event is written once the writers stopped and the links settled');
}

test(
  'active/active (conflicts: metadata): conflicting events are appended with $error, never lost, never bounced',
  { timeout: 90_000 },
  async (t) => {
    await checkMetadataPolicy(t, 'json-object');
  },
);

test(
  'active/active (conflicts: metadata), every metadata shape (arrays, scalars, bytes that are not JSON): nothing is copied twice',
  { timeout: 90_000 },
  async (t) => {
    await checkMetadataPolicy(t, 'all');
  },
);
