import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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
