import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isLinkerError } from '../../src/shared/errors.js';
import { appendRaw, assertSame, jsonData, linkOptions, settle, startLink, twoNodes } from './link-fixture.js';

async function until(check: () => boolean, what: () => string): Promise<void> {
  for (let i = 0; i < 250 && !check(); i++) await sleep(20);
  assert.ok(check(), what());
}

// A daemon keeps one client per node and starts and stops links on it (a lease moves, a link restarts after a
// failure). A link whose BatchAppend stream outlived it left one more open HTTP/2 stream on the destination
// per restart (the real server allows 100 per connection), holding the stopped link in memory.
test('a stopped link leaves no stream open on its destination: links started and stopped in turn on one shared client', async (t) => {
  const [a, b] = await twoNodes(t);
  if (!b.emulator) return t.skip('counts open calls on the emulator');
  const origin = a.client();
  const destination = b.client();
  const options = linkOptions('dc1', 'dc2');
  const prefix = `restart-${randomUUID().slice(0, 8)}-`;
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 5; i++) await appendRaw(origin, `${prefix}${i}`, [{ data: jsonData({ round, i }) }]);
    const link = startLink(t, a, b, { ...options, name: `${options.name}-${round}` }, { origin, destination });
    await link.start();
    await settle(link, origin);
    assert.ok(b.emulator.openCalls > 0, 'the running link has its BatchAppend stream open');
    await link.stop({ graceMs: 2_000 });
    await until(
      () => b.emulator!.openCalls === 0,
      () => `after stop ${round + 1}, ${b.emulator!.openCalls} call(s) still open on the destination`,
    );
  }
  await assertSame(origin, destination);
});

test('a link that fails closes its stream too: a conflict under the halt policy', async (t) => {
  const [a, b] = await twoNodes(t);
  if (!b.emulator) return t.skip('counts open calls on the emulator');
  const stream = `halt-${randomUUID().slice(0, 8)}`;
  await appendRaw(a.client(), stream, [{ data: jsonData({ from: 'origin' }) }]);
  // The destination already holds another event at the same revision: the link's append conflicts.
  await appendRaw(b.client(), stream, [{ data: jsonData({ from: 'destination' }) }]);
  // The test's own client keeps its BatchAppend stream to the destination open: only the link's must close.
  const before = b.emulator.openCalls;
  const link = startLink(t, a, b, linkOptions('dc1', 'dc2', { conflicts: 'halt' }));
  await link.start();
  await assert.rejects(link.done, (err: unknown) => isLinkerError(err, 'ESDBL_LINK_CONFLICT_HALT'));
  assert.equal(link.status().conflicts, 1, 'the link appended (and conflicted) on its own stream');
  await until(
    () => b.emulator!.openCalls === before,
    () => `after the link failed, ${b.emulator!.openCalls - before} of its call(s) still open on the destination`,
  );
});
