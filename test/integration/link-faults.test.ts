import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LinkerService } from '../../src/link/linker-service.js';
import { appendRaw, assertSame, linkOptions, settle, startLink, twoNodes } from './link-fixture.js';

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function writeSome(client: Parameters<typeof appendRaw>[0], tag: string, streams: number, perStream: number) {
  for (let i = 0; i < streams; i++) {
    const ids = Array.from({ length: perStream }, () => ({ id: randomUUID() }));
    // Classic Append: the v6 client delivers a failure of any BatchAppend stream (and its not-leader
    // redirect) to every BatchAppend in flight in the process, so faults injected on the destination
    // would hit these writes too. Retried with the same ids and expectation (idempotent) for origin faults.
    for (let attempt = 0; ; attempt++) {
      try {
        await appendRaw(client, `fault-${tag}-${i}`, ids, 'no_stream', true);
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(50);
      }
    }
  }
}

function retries(link: LinkerService): number {
  return link.status().retries;
}

for (const mode of ['BatchAppend', 'classic Append'] as const) {
  test(`failed appends on the destination are retried; nothing is skipped (${mode})`, async (t) => {
    const [dc1, dc2] = await twoNodes(t);
    if (!dc2.emulator) return t.skip('needs the emulator');
    const a = dc1.client();
    const tag = randomUUID().slice(0, 8);
    const credentials = mode === 'classic Append' ? { username: 'admin', password: 'changeit' } : undefined;
    const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'), credentials ? { credentials } : {});
    await link.start();
    await settle(link, a);
    for (const kind of ['unavailable', 'deadline', 'not-leader', 'cancelled', 'internal'] as const) {
      dc2.emulator.faults.failNextAppends(2, kind);
      await writeSome(a, `${tag}-${kind}`, 3, 4);
      await settle(link, a);
    }
    assert.ok(retries(link) >= 5, `retries: ${retries(link)}`);
    assert.equal(link.status().retrying, false);
    assert.equal(link.status().state, 'running');
    await assertSame(a, dc2.client());
  });
}

test('origin unavailable and dropped connections: the subscription resumes from the watermark', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  if (!dc1.emulator || !dc2.emulator) return t.skip('needs the emulator');
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  await writeSome(a, `${tag}-before`, 5, 5);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2'));
  await link.start();
  await settle(link, a);
  dc1.emulator.faults.unavailableFor(300);
  await sleep(350);
  await writeSome(a, `${tag}-after-unavailable`, 5, 5);
  await settle(link, a);
  dc1.emulator.faults.dropConnections();
  dc2.emulator.faults.dropConnections();
  await writeSome(a, `${tag}-after-drop`, 5, 5);
  await settle(link, a);
  assert.ok(retries(link) >= 1, 'the broken subscription was counted as a retry');
  assert.notEqual(link.status().lastError, null);
  await assertSame(a, dc2.client());
});

test('a hung destination shows as stalled, then recovers', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  if (!dc2.emulator) return t.skip('needs the emulator');
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { stallTimeoutMs: 300 }));
  await link.start();
  await settle(link, a);
  const release = dc2.emulator.faults.hangAppends();
  await writeSome(a, tag, 3, 3);
  await until('stalled', () => link.status().stalled);
  assert.ok(link.status().lagEvents > 0);
  release();
  await settle(link, a);
  await until('not stalled', () => !link.status().stalled);
  await assertSame(a, dc2.client());
});

test('a full buffer pauses reading; everything arrives once the destination answers', async (t) => {
  const [dc1, dc2] = await twoNodes(t);
  if (!dc2.emulator) return t.skip('needs the emulator');
  const a = dc1.client();
  const tag = randomUUID().slice(0, 8);
  const link = startLink(
    t,
    dc1,
    dc2,
    linkOptions('dc1', 'dc2', { buffer: { maxEvents: 20, maxBytes: 1024 * 1024 }, lanes: 2 }),
  );
  await link.start();
  await settle(link, a);
  const release = dc2.emulator.faults.hangAppends();
  await writeSome(a, tag, 30, 5);
  await until('buffer full', () => link.status().buffer.events >= 20);
  await sleep(200);
  const held = link.status();
  assert.ok(held.buffer.events <= 20 + 5, `buffer holds ${held.buffer.events}`);
  release();
  await settle(link, a);
  await assertSame(a, dc2.client());
});
