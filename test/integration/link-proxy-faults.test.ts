import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertSame, settle } from './link-fixture.js';
import { linkThroughProxy, warnings, writeUntil } from './proxy-fixture.js';

for (const side of ['destination', 'origin'] as const) {
  test(`a 5 s partition of the ${side} mid-traffic: the link resumes on its own, exact replica`, async (t) => {
    const { link, origin, destination, proxy } = await linkThroughProxy(t, side);
    const stop = new AbortController();
    const writer = writeUntil(origin, `part-${side}-${randomUUID().slice(0, 8)}`, stop.signal);
    await sleep(500);
    proxy.blackhole();
    await sleep(5_000);
    proxy.heal();
    await sleep(500);
    stop.abort();
    const written = await writer;
    await settle(link, origin, 60_000);
    assert.ok(written > 0);
    assert.equal(link.status().state, 'running');
    await assertSame(origin, destination);
  });
}

test('bytes lost mid-stream to the destination: once the path heals the link gets a fresh channel and recovers', async (t) => {
  // Keepalive off, so only the link's own handling can get it off a broken connection.
  const { link, origin, destination, proxy, lines } = await linkThroughProxy(t, 'destination', {
    keepAliveInterval: -1,
  });
  const stop = new AbortController();
  const writer = writeUntil(origin, `corrupt-${randomUUID().slice(0, 8)}`, stop.signal);
  await sleep(500);
  proxy.corrupt({ dropRate: 0.2 });
  await sleep(3_000);
  proxy.clear();
  const healed = Date.now();
  await sleep(500);
  stop.abort();
  await writer;
  try {
    await settle(link, origin, 60_000);
  } catch (err) {
    // Seen once under a full suite (not recovered within 60 s): keep what the link said for the next look.
    t.diagnostic(
      `not recovered: status ${JSON.stringify(link.status(), (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v))}; proxy ${JSON.stringify(proxy.stats)}`,
    );
    t.diagnostic(warnings(lines));
    throw err;
  }
  t.diagnostic(`recovered ${Date.now() - healed} ms after the path healed; proxy ${JSON.stringify(proxy.stats)}`);
  t.diagnostic(warnings(lines));
  assert.ok(proxy.stats.chunksDropped > 0, 'bytes were lost');
  assert.ok(proxy.stats.accepted >= 2, 'the link moved to a new connection');
  await assertSame(origin, destination);
});

test('RSTs of the destination connection mid-batch: nothing lost, nothing doubled', async (t) => {
  const dest = await linkThroughProxy(t, 'destination');
  const { link, origin, destination, proxy } = dest;
  const stop = new AbortController();
  const writer = writeUntil(origin, `reset-${randomUUID().slice(0, 8)}`, stop.signal);
  let resets = 0;
  for (let i = 0; i < 8; i++) {
    await sleep(250 + (i % 3) * 100);
    // Only while appends are on the wire, so a batch is cut mid-way.
    resets += proxy.reset();
  }
  stop.abort();
  await writer;
  await settle(link, origin, 30_000);
  assert.ok(resets >= 4, `${resets} connections reset`);
  assert.ok(proxy.stats.accepted > 4, `the link reconnected after the resets (${proxy.stats.accepted} connections)`);
  t.diagnostic(`${resets} resets, ${link.status().retries} retries`);
  await assertSame(origin, destination);
});

test('a slow destination link (latency, jitter, 256 kB/s): exact replica', async (t) => {
  const { link, origin, destination, proxy } = await linkThroughProxy(t, 'destination');
  proxy.setLatency(40, 40);
  proxy.setBandwidth(256 * 1024);
  const stop = new AbortController();
  const writer = writeUntil(origin, `slow-${randomUUID().slice(0, 8)}`, stop.signal);
  await sleep(3_000);
  stop.abort();
  const written = await writer;
  await settle(link, origin, 30_000);
  assert.ok(written > 0);
  assert.ok(proxy.stats.bytesForwarded > 0);
  await assertSame(origin, destination);
});
