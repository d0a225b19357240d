import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conflictStreamName } from '../../src/link/bookkeeping.js';
import { eventually } from '../helpers/daemon-process.js';
import { runActiveActive } from '../helpers/topology-active-active.js';
import { settle } from '../helpers/topology-daemon.js';
import { checkPlacement, jsonObjectOf, originLoops, readAllEvents } from '../helpers/topology-inspect.js';

test(
  'active/active (conflicts: halt on dc1 -> dc2): that link stops and reports it, the other link loses nothing',
  { timeout: 90_000 },
  async (t) => {
    const aa = await runActiveActive(t, { policy12: 'halt', policy21: 'stream' });
    const [c1, c2] = aa.clients;
    // The halt may happen while the writers are still writing, before a listener could subscribe: ask the daemon.
    const failures = () => aa.daemon.failures().map((f) => `${f.link}:${f.code}`);

    await eventually(() => aa.daemon.linkStatus(aa.link12)?.state === 'failed', 20_000, `${aa.link12} to halt`);
    await settle(aa.daemon, [{ name: aa.link21, origin: c2 }]);
    await eventually(() => failures().length > 0, 5_000, 'the daemon to report the failed link');

    const status = aa.daemon.status();
    assert.equal(status.ready, false, 'a halted link makes the daemon not ready');
    const halted = status.links.find((l) => l.name === aa.link12);
    const healthy = status.links.find((l) => l.name === aa.link21);
    assert.ok(halted && healthy);
    assert.equal(halted.state, 'failed');
    assert.equal(halted.lastError?.code, 'ESDBL_LINK_CONFLICT_HALT');
    assert.ok(halted.conflicts > 0, 'the conflict that halted the link is counted');
    assert.deepEqual(failures(), [`${aa.link12}:ESDBL_LINK_CONFLICT_HALT`]);
    assert.ok(
      status.recentErrors.some((e) => e.link === aa.link12 && e.code === 'ESDBL_LINK_CONFLICT_HALT'),
      'the halt is among the recent errors',
    );
    assert.equal(healthy.state, 'running', 'the other direction keeps running');

    // Everything written on dc2 reached dc1, in its stream or in the conflict stream; dc1's own events stay put.
    const stored = await readAllEvents(c1);
    const copied = checkPlacement(stored, aa.written.dc2, {
      streamOf: (e) => e.stream,
      conflictStreams: [conflictStreamName('dc2', 'dc1')],
    });
    assert.deepEqual(copied.problems, []);
    assert.ok(copied.inConflictStreams > 0, 'dc2 -> dc1 met conflicts too and recorded them');
    assert.equal(healthy.conflicts, copied.inConflictStreams);
    const own = checkPlacement(stored, aa.written.dc1, { streamOf: (e) => e.stream, conflictStreams: [] });
    assert.deepEqual(own.problems, []);
    assert.deepEqual(
      originLoops('dc1', stored, (s) => s.startsWith(aa.run)),
      [],
    );

    // The halted link wrote nothing into the conflict stream: halting means not moving on.
    const onDc2 = await readAllEvents(c2);
    assert.equal(
      onDc2.filter(
        (e) =>
          e.streamId === conflictStreamName('dc1', 'dc2') &&
          String(jsonObjectOf(e.metadata)?.$originalStreamId).startsWith(aa.run),
      ).length,
      0,
      'a halting link records no conflict events',
    );
  },
);
