import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertSame, settle } from './link-fixture.js';
import { linkThroughProxy, warnings, until, writeUntil } from './proxy-fixture.js';

test('a destination that accepts and never answers (blackhole past the append timeout): stalled, then recovers', async (t) => {
  const { link, origin, destination, proxy, lines } = await linkThroughProxy(t, 'destination');
  const stop = new AbortController();
  const writer = writeUntil(origin, `wedge-${randomUUID().slice(0, 8)}`, stop.signal);
  await sleep(500);
  proxy.blackhole();
  await until('stalled', () => link.status().stalled, 10_000);
  await sleep(14_000);
  proxy.heal();
  const healed = Date.now();
  stop.abort();
  await writer;
  await settle(link, origin, 60_000);
  t.diagnostic(`recovered ${Date.now() - healed} ms after heal; proxy ${JSON.stringify(proxy.stats)}`);
  t.diagnostic(warnings(lines));
  await assertSame(origin, destination);
});

test('a destination connection that goes silent for good: the link replaces it and recovers without help', async (t) => {
  // Keepalive off: gRPC's pings would otherwise notice a fully silent connection after ~20 s; the link
  // must not depend on them (a connection can answer pings and still carry nothing, e.g. after bytes lost
  // mid-stream exhausted its flow-control window).
  const { link, origin, destination, proxy, lines } = await linkThroughProxy(t, 'destination', {
    keepAliveInterval: -1,
  });
  const stop = new AbortController();
  const writer = writeUntil(origin, `silent-${randomUUID().slice(0, 8)}`, stop.signal);
  await sleep(500);
  const started = Date.now();
  assert.ok(proxy.wedge() >= 1, 'a connection was open to wedge');
  await until('stalled', () => link.status().stalled, 10_000);
  await until('a new connection', () => proxy.stats.accepted >= 2, 30_000);
  await sleep(300);
  stop.abort();
  await writer;
  await settle(link, origin, 30_000);
  t.diagnostic(`recovered ${Date.now() - started} ms after the connection went silent`);
  const replaced = lines.find((l) => String(l.msg).includes('replacing its connection'));
  assert.ok(replaced, 'a log line says the connection is replaced');
  assert.equal(replaced.node, 'dc2');
  assert.ok(
    lines.some((l) => String(l.msg).startsWith('link stalled')),
    'the stall was logged',
  );
  await until('not stalled', () => !link.status().stalled, 10_000);
  await assertSame(origin, destination);
});

test('an origin connection that goes silent for good: the subscription is replaced on a new connection', async (t) => {
  const { link, origin, destination, proxy, lines } = await linkThroughProxy(t, 'origin', { keepAliveInterval: -1 });
  const tag = `silent-origin-${randomUUID().slice(0, 8)}`;
  const stop = new AbortController();
  const writer = writeUntil(origin, tag, stop.signal);
  await sleep(500);
  const started = Date.now();
  assert.ok(proxy.wedge() >= 1, 'a connection was open to wedge');
  await until('a new connection', () => proxy.stats.accepted >= 2, 40_000);
  stop.abort();
  await writer;
  await settle(link, origin, 30_000);
  t.diagnostic(`recovered ${Date.now() - started} ms after the connection went silent`);
  const warned = lines.find((l) => String(l.msg).includes('resubscribing on a new connection'));
  assert.ok(warned, 'a log line says the subscription is replaced');
  assert.equal(warned.node, 'dc1');
  await assertSame(origin, destination);
});
