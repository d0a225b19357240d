import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonEvent } from '@eventstore/db-client';
import { TIMINGS } from '../helpers/cluster-scenario.js';
import { ChildTracker, eventually, exitWithin, writeTempConfig } from '../helpers/daemon-process.js';
import { startNodes, uniqueName } from '../helpers/nodes.js';
import { redisServerMissing, startRedis } from '../helpers/redis-server.js';
import { compareStreams, streamLength } from '../helpers/stream-compare.js';

const missing = await redisServerMissing();

interface Status {
  links: { name: string; owner: string | null; paused?: boolean; state: string }[];
  cluster: { member: string };
}

async function status(url: string): Promise<Status | null> {
  try {
    return (await (await fetch(`${url}/api/status`, { signal: AbortSignal.timeout(1_000) })).json()) as Status;
  } catch {
    return null;
  }
}

test(
  'link pause reaches the owner, survives its failover, and resume runs the link again',
  { skip: missing },
  async (t) => {
    const children = new ChildTracker();
    t.after(() => children.killAll());
    const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
    t.after(() => Promise.all([dc1!.stop(), dc2!.stop()]));
    const redis = await startRedis();
    t.after(() => redis.dispose());
    const config = await writeTempConfig({
      nodes: [dc1!, dc2!].map((n) => ({ name: n.name, connectionString: n.connectionString })),
      links: [
        { name: 'orders', origin: 'dc1', destination: 'dc2', filter: { includeStreamPrefixes: ['orders-'] } },
        { name: 'users', origin: 'dc1', destination: 'dc2', filter: { includeStreamPrefixes: ['users-'] } },
      ],
      cluster: { coordination: 'redis', redis: redis.url, name: uniqueName('pause'), ...TIMINGS },
      http: { port: 0 },
      log: { format: 'json' },
      shutdownGraceMs: 2_000,
    });
    t.after(() => config.remove());
    const members = await Promise.all(
      ['m1', 'm2'].map(async (id) => {
        const proc = children.spawn(['run', '--config', config.path], { env: { ESDB_LINKER_MEMBER: id } });
        const line = await proc.waitForLog((l) => typeof l.url === 'string', 15_000, `${id} listening`);
        return { id, proc, url: String(line.url) };
      }),
    );
    const orders = async (url: string) => (await status(url))?.links.find((l) => l.name === 'orders');
    await eventually(async () => (await orders(members[0]!.url))?.state === 'running', 20_000, 'orders running');

    const source = dc1!.client();
    const destination = dc2!.client();
    await source.appendToStream('orders-1', [jsonEvent({ type: 'Placed', data: { n: 1 } })]);
    await eventually(async () => (await streamLength(destination, 'orders-1')) === 1, 10_000, 'first event copied');

    const pause = children.spawn(['link', 'pause', 'orders', '--config', config.path, '--timeout-ms', '10000']);
    const paused = await exitWithin(pause, 15_000, 'link pause');
    assert.equal(paused.code, 0, pause.stderr());
    const owner = /paused by its owner (m\d)/.exec(pause.stdout())?.[1];
    assert.ok(owner, pause.stdout());
    // Every member shows it paused on its owner; nothing more is copied while paused.
    for (const m of members) {
      await eventually(async () => (await orders(m.url))?.paused === true, 5_000, `${m.id} showing orders paused`);
    }
    await source.appendToStream('orders-1', [jsonEvent({ type: 'Placed', data: { n: 2 } })]);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(await streamLength(destination, 'orders-1'), 1, 'a paused link copies nothing');

    // The owner dies: the survivor takes the lease and keeps the link paused.
    const survivor = members.find((m) => m.id !== owner)!;
    members.find((m) => m.id === owner)!.proc.kill('SIGKILL');
    await eventually(
      async () => {
        const o = await orders(survivor.url);
        return o?.owner === survivor.id && o.paused === true;
      },
      20_000,
      'the survivor holding orders, still paused',
    );
    assert.equal(await streamLength(destination, 'orders-1'), 1, 'still paused after failover');

    const resume = children.spawn(['link', 'resume', 'orders', '--config', config.path]);
    assert.equal((await exitWithin(resume, 15_000, 'link resume')).code, 0, resume.stderr());
    assert.match(resume.stdout(), new RegExp(`resumed by its owner ${survivor.id}`));
    await eventually(
      async () => (await compareStreams(source, destination, ['orders-1'])).length === 0,
      10_000,
      'orders-1 copied exactly after resume',
    );

    // Without a cluster section the command refuses with a usage error.
    const single = await writeTempConfig({
      nodes: [dc1!, dc2!].map((n) => ({ name: n.name, connectionString: n.connectionString })),
      links: [{ origin: 'dc1', destination: 'dc2' }],
    });
    t.after(() => single.remove());
    const refused = children.spawn(['link', 'pause', 'dc1-to-dc2', '--config', single.path]);
    assert.equal((await exitWithin(refused, 10_000, 'link pause without cluster')).code, 2);
    assert.match(refused.stderr(), /no cluster section.*ESDBL_CLUSTER_NOT_CONFIGURED/);
    survivor.proc.kill('SIGTERM');
    await survivor.proc.exited;
  },
);
