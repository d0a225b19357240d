import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStoreDBClient } from '@eventstore/db-client';
import { startEmulatorProcess } from '../bench/emulator-process.js';
import { captureLogger } from '../helpers/capture-logger.js';
import type { TestNode } from '../helpers/nodes.js';
import { assertSame, linkOptions, settle, startLink } from './link-fixture.js';
import { until, writeUntil } from './proxy-fixture.js';

/** A `TestNode` for a server running in another process (its clients disposed when the test ends). */
function clientNode(t: TestContext, name: string, connectionString: string): TestNode {
  const clients: EventStoreDBClient[] = [];
  t.after(() => Promise.allSettled(clients.map((c) => c.dispose())));
  return {
    name,
    connectionString,
    emulator: undefined,
    client() {
      const c = EventStoreDBClient.connectionString(connectionString);
      clients.push(c);
      return c;
    },
    stop: async () => {},
  };
}

for (const side of ['destination', 'origin'] as const) {
  test(`SIGSTOP of the ${side} server past the stall timeout, then SIGCONT: noticed, then caught up exactly`, async (t) => {
    const servers = await Promise.all([startEmulatorProcess(), startEmulatorProcess()]);
    t.after(async () => {
      for (const s of servers) process.kill(s.pid, 'SIGCONT');
      await Promise.all(servers.map((s) => s.stop()));
    });
    const [dc1, dc2] = servers.map((s, i) => clientNode(t, `dc${i + 1}`, s.connectionString)) as [TestNode, TestNode];
    const { logger, lines } = captureLogger('info');
    const link = startLink(t, dc1, dc2, linkOptions('dc1', 'dc2', { stallTimeoutMs: 1_000 }), { logger });
    await link.start();
    const origin = dc1.client();
    const stop = new AbortController();
    const writer = writeUntil(origin, `sigstop-${side}-${randomUUID().slice(0, 8)}`, stop.signal);
    await sleep(500);
    const target = side === 'destination' ? servers[1] : servers[0];
    process.kill(target.pid, 'SIGSTOP');
    try {
      if (side === 'destination') {
        await until('stalled', () => link.status().stalled, 10_000);
        await sleep(6_000);
      } else {
        // Silence is only suspicious after a while (an idle origin is silent too); then a read of the origin
        // fails, and that is said.
        await until(
          'a warning that the origin does not answer',
          () => lines.some((l) => l.node === 'dc1' && String(l.msg).includes('does not answer')),
          20_000,
        );
      }
    } finally {
      process.kill(target.pid, 'SIGCONT');
    }
    await sleep(500);
    stop.abort();
    await writer;
    await settle(link, origin, 60_000);
    if (side === 'destination') {
      assert.ok(
        lines.some((l) => String(l.msg).startsWith('link stalled')),
        'the stall was logged',
      );
      await until('not stalled', () => !link.status().stalled, 10_000);
    }
    assert.equal(link.status().state, 'running');
    await assertSame(origin, dc2.client());
  });
}
