import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { conflictStreamName } from '../../src/link/bookkeeping.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { runActiveActive } from '../helpers/topology-active-active.js';
import { settle } from '../helpers/topology-daemon.js';
import {
  checkPlacement,
  countBookkeepingEvents,
  countNonBookkeepingEvents,
  jsonObjectOf,
  originLoops,
  readAllEvents,
} from '../helpers/topology-inspect.js';

test(
  'active/active (conflicts: stream): one-sided streams converge exactly, conflicts are recorded, nothing bounces',
  { timeout: 90_000 },
  async (t) => {
    const aa = await runActiveActive(t, { policy12: 'stream', policy21: 'stream' });
    const [c1, c2] = aa.clients;
    const rounds = await settle(aa.daemon, [
      { name: aa.link12, origin: c1 },
      { name: aa.link21, origin: c2 },
    ]);
    t.diagnostic(`settled after ${rounds} rounds`);

    // Streams written on one side only are exact copies on the other (annotations aside).
    for (const [origin, destination, prefix] of [
      [c1, c2, aa.prefixes.one1],
      [c2, c1, aa.prefixes.one2],
    ] as const) {
      const result = await compareNodes(origin, destination, { includeStreamPrefixes: [prefix] });
      assert.deepEqual(result.differences, [], `streams ${prefix}* differ`);
      assert.ok(result.streamsCompared >= 3 && result.eventsCompared > 0, `streams ${prefix}* were compared`);
    }

    // Streams written on both sides: every event is on both nodes exactly once, in its stream or recorded in the
    // conflict stream of the link that brought it.
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
      assert.ok(copied.inConflictStreams > 0, `some events written on ${other} are recorded in ${conflictStream}`);
      const records = stored[node].filter(
        (e) => e.streamId === conflictStream && String(jsonObjectOf(e.metadata)?.$originalStreamId).startsWith(aa.run),
      );
      const linkStatus = byName.get(link);
      assert.ok(linkStatus, `status lists ${link}`);
      assert.equal(linkStatus.state, 'running');
      assert.ok(linkStatus.conflicts > 0, `${link} counted its conflicts`);
      assert.equal(linkStatus.conflicts, records.length, `${link} counts one conflict per recorded event`);
      assert.equal(copied.inConflictStreams, records.length);
      for (const r of records) {
        const meta = jsonObjectOf(r.metadata) ?? {};
        assert.equal(typeof meta.$error, 'string', 'a conflict record says what went wrong');
        assert.ok(
          String(meta.$originalStreamId).startsWith(aa.prefixes.both),
          'only streams written on both sides conflict',
        );
      }
    }
    assert.equal(status.ready, true, 'a pair that records conflicts stays ready');

    // Nothing bounces: no $origin names a node twice or comes home, and the logs stop growing once writers stop.
    for (const node of ['dc1', 'dc2'] as const) {
      const problems = originLoops(node, stored[node], (s) => s.startsWith(aa.run) || s.startsWith('$conflicts-'));
      assert.deepEqual(problems, []);
    }
    const before = await Promise.all([countNonBookkeepingEvents(c1), countNonBookkeepingEvents(c2)]);
    const bookkeepingBefore = await Promise.all([countBookkeepingEvents(c1), countBookkeepingEvents(c2)]);
    await delay(2_000);
    const after = await Promise.all([countNonBookkeepingEvents(c1), countNonBookkeepingEvents(c2)]);
    const bookkeepingAfter = await Promise.all([countBookkeepingEvents(c1), countBookkeepingEvents(c2)]);
    assert.deepEqual(after, before, 'no event is written once the writers stopped and the links settled');
    t.diagnostic(
      `checkpoint events written while idle (2 s): dc1 ${bookkeepingAfter[0] - bookkeepingBefore[0]}, dc2 ${bookkeepingAfter[1] - bookkeepingBefore[1]}`,
    );
  },
);
