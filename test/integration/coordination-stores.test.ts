import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pino from 'pino';
import type { ClusterMessage, CoordinationStore } from '../../src/coordination/coordination-store.js';
import { KurrentDbStore } from '../../src/coordination/kurrentdb-store.js';
import { MemoryBackplane, MemoryStore } from '../../src/coordination/memory-store.js';
import { RedisStore } from '../../src/coordination/redis-store.js';
import { startNode, uniqueName } from '../helpers/nodes.js';
import { redisServerMissing, startRedis } from '../helpers/redis-server.js';

const logger = pino({ level: 'silent' });

interface Engine {
  name: string;
  skip?: string | false;
  /** Two stores on one coordinator (two members), and the cleanup. */
  open(): Promise<{ a: CoordinationStore; b: CoordinationStore; close(): Promise<void> }>;
}

const redisMissing = await redisServerMissing();

const engines: Engine[] = [
  {
    name: 'memory',
    async open() {
      const plane = new MemoryBackplane();
      return { a: new MemoryStore(plane), b: new MemoryStore(plane), close: async () => undefined };
    },
  },
  {
    name: 'kurrentdb (emulator)',
    async open() {
      const node = await startNode(0, 'coord');
      const cluster = uniqueName('c');
      // One client, as in a member process (each process has one client per node).
      const client = node.client();
      const a = new KurrentDbStore({ client, cluster, node: 'coord', logger });
      const b = new KurrentDbStore({ client, cluster, node: 'coord', logger });
      return {
        a,
        b,
        async close() {
          await a.close();
          await b.close();
          await node.stop();
        },
      };
    },
  },
  {
    name: 'redis',
    skip: redisMissing,
    async open() {
      const redis = await startRedis();
      const cluster = uniqueName('c');
      const mk = () => new RedisStore({ url: redis.url, cluster, redactedUrl: redis.url, logger });
      const a = mk();
      const b = mk();
      return {
        a,
        b,
        async close() {
          await a.close();
          await b.close();
          await redis.dispose();
        },
      };
    },
  },
];

async function eventually(check: () => Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

for (const engine of engines) {
  describe(`coordination store contract: ${engine.name}`, { skip: engine.skip }, () => {
    it('create is exclusive, update is a compare-and-swap, release frees only the named version', async (t) => {
      const { a, b, close } = await engine.open();
      t.after(close);
      assert.equal(await a.getLease('l1'), null);
      const v1 = await a.createLease('l1', { holder: 'a' }, 10_000);
      assert.ok(v1);
      assert.equal(await b.createLease('l1', { holder: 'b' }, 10_000), null, 'second create loses');
      const seen = await b.getLease('l1');
      assert.deepEqual(seen, { value: { holder: 'a' }, version: v1 });
      const v2 = await a.updateLease('l1', { holder: 'a', renewals: 1 }, v1, 10_000);
      assert.ok(v2 && v2 !== v1);
      assert.equal(await b.updateLease('l1', { holder: 'b' }, v1, 10_000), null, 'stale version loses');
      assert.equal(await b.releaseLease('l1', v1), false, 'stale release does nothing');
      assert.deepEqual((await b.getLease('l1'))?.value, { holder: 'a', renewals: 1 });
      assert.equal(await a.releaseLease('l1', v2), true);
      const after = await b.getLease('l1');
      assert.equal(after?.value ?? null, null, 'released');
      // A released lease is taken by create (gone) or by a swap on the released version (kept).
      const taken = after
        ? await b.updateLease('l1', { holder: 'b' }, after.version, 10_000)
        : await b.createLease('l1', { holder: 'b' }, 10_000);
      assert.ok(taken);
      assert.deepEqual((await a.getLease('l1'))?.value, { holder: 'b' });
    });

    it('epochs only grow, per link; intents are durable', async (t) => {
      const { a, b, close } = await engine.open();
      t.after(close);
      const e1 = await a.nextEpoch('x');
      const e2 = await b.nextEpoch('x');
      const e3 = await a.nextEpoch('x');
      assert.ok(e1 >= 1 && e2 > e1 && e3 > e2, `${e1} < ${e2} < ${e3}`);
      assert.equal(await a.nextEpoch('y'), 1);
      assert.equal(await a.getIntent('x'), null);
      await a.putIntent('x', { paused: true });
      assert.deepEqual((await b.getIntent('x'))?.value, { paused: true });
    });

    it('members: the latest record of each member; messages reach others, never the sender', async (t) => {
      const { a, b, close } = await engine.open();
      t.after(close);
      await a.heartbeat({ id: 'a', seq: 1, url: null, links: [], linkStatus: {} }, 10_000);
      await b.heartbeat({ id: 'b', seq: 1, url: 'http://127.0.0.1:1', links: ['l'], linkStatus: {} }, 10_000);
      await a.heartbeat({ id: 'a', seq: 2, url: null, links: ['m'], linkStatus: { m: { state: 'running' } } }, 10_000);
      const members = (await b.members()).sort((x, y) => x.id.localeCompare(y.id));
      assert.deepEqual(
        members.map((m) => [m.id, m.seq, m.links]),
        [
          ['a', 2, ['m']],
          ['b', 1, ['l']],
        ],
      );
      const gotA: ClusterMessage[] = [];
      const gotB: ClusterMessage[] = [];
      const offA = a.subscribe('a', (m) => gotA.push(m));
      const offB = b.subscribe('b', (m) => gotB.push(m));
      t.after(() => {
        offA();
        offB();
      });
      // Subscriptions start asynchronously: publish until one arrives, then check the self-filter.
      await eventually(async () => {
        await a.publish({ from: 'a', type: 'released', link: 'l1' });
        await delay(50);
        return gotB.length > 0;
      }, 'a message from a to b');
      assert.ok(gotB.every((m) => m.from === 'a' && m.link === 'l1'));
      assert.equal(gotA.length, 0, 'a never hears itself');
    });
  });
}
