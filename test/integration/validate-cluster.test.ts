// `validate --connect` on a secure cluster: every member named by the connection string is checked on its own
// (gossip over TLS, then every right the links need), so a member that is down, or one the user may not use,
// is named by its endpoint and fails the run, even though the client alone would happily pick another member.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { startCluster, startEmulator, type EmulatorCluster } from '../../src/emulator/index.js';
import { ChildTracker, exitWithin, writeTempConfig } from '../helpers/daemon-process.js';
import { uniqueName } from '../helpers/nodes.js';

interface Setup {
  cluster: EmulatorCluster;
  destination: string;
  validate(origin: string): Promise<{ code: number | null; out: string }>;
}

async function setup(t: TestContext): Promise<Setup> {
  const children = new ChildTracker();
  const cluster = await startCluster({ nodes: 3, secure: true, electionMs: 100 });
  const destination = await startEmulator({ secure: true });
  t.after(async () => {
    await children.killAll();
    await Promise.all([cluster.stop(), destination.stop()]);
  });
  const link = uniqueName('preflight-cluster');
  return {
    cluster,
    destination: destination.connectionString,
    async validate(origin) {
      const config = await writeTempConfig({
        nodes: [
          { name: 'dc1', connectionString: origin },
          { name: 'dc2', connectionString: destination.connectionString },
        ],
        links: [{ name: link, origin: 'dc1', destination: 'dc2' }],
      });
      t.after(() => config.remove());
      const p = children.spawn(['validate', '--config', config.path, '--connect']);
      const exit = await exitWithin(p, 60_000, 'validate --connect');
      return { code: exit.code, out: `${p.stdout()}${p.stderr()}` };
    },
  };
}

/** The report block of one member: its header line and the indented lines under it. */
function memberBlock(out: string, endpoint: string): string {
  const start = out.indexOf(`node dc1 member ${endpoint} `);
  assert.ok(start >= 0, `a block for ${endpoint} in:\n${out}`);
  const rest = out.slice(start);
  const next = rest.slice(1).search(/\nnode |\nevery node|\nproblems found/);
  return next < 0 ? rest : rest.slice(0, next + 1);
}

test('validate --connect checks every member of a secure cluster: gossip over TLS and every right on each', async (t) => {
  const { cluster, validate } = await setup(t);
  const run = await validate(cluster.connectionString);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /node dc1: a cluster of 3 members, each checked on its own/);
  const leader = cluster.leader()!;
  for (const node of cluster.nodes) {
    const block = memberBlock(run.out, `127.0.0.1:${node.port}`);
    assert.match(block, /\), TLS, as user 'admin':/);
    const state = node.index === leader.index ? 'leader' : 'follower';
    assert.match(
      block,
      new RegExp(`ok +gossip: ${state}; 3 of 3 members alive, leader 127\\.0\\.0\\.1:${leader.port}`),
    );
    assert.match(block, /ok +read \$all/);
  }
  assert.match(run.out, /every node is reachable and grants every right/);
  assert.ok(!run.out.includes('changeit'), 'no password in the report');
});

test('validate --connect names a shut-down member by its endpoint and exits non-zero', async (t) => {
  const { cluster, validate } = await setup(t);
  const down = cluster.nodes.find((n) => n.state === 'Follower')!;
  await cluster.shutdownNode(down.index);
  await cluster.waitForLeader();
  const run = await validate(cluster.connectionString);
  assert.equal(run.code, 1, run.out);
  assert.match(memberBlock(run.out, `127.0.0.1:${down.port}`), /UNREACHABLE +gossip: cannot reach the node/);
  for (const node of cluster.nodes.filter((n) => n.index !== down.index)) {
    const block = memberBlock(run.out, `127.0.0.1:${node.port}`);
    assert.match(block, /ok +gossip: \w+; 2 of 3 members alive/);
    assert.match(block, /ok +read \$all/);
  }
  assert.match(run.out, /problems found: see above/);
});

test('validate --connect reports a missing right on every member, and a CA that cannot verify them', async (t) => {
  const { cluster, destination, validate } = await setup(t);
  const asOps = cluster.connectionString.replace(/^esdb:\/\/[^@]*@/, 'esdb://ops:changeit@');
  const denied = await validate(asOps);
  assert.equal(denied.code, 1, denied.out);
  for (const node of cluster.nodes) {
    assert.match(memberBlock(denied.out, `127.0.0.1:${node.port}`), /DENIED +read \$all .*user 'ops' may not/);
  }
  // The destination's CA did not sign the cluster's certificate: TLS fails on every member, at gossip.
  const wrongCa = cluster.connectionString.replace(/tlsCAFile=[^&]*/, /tlsCAFile=[^&]*/.exec(destination)![0]);
  const tls = await validate(wrongCa);
  assert.equal(tls.code, 1, tls.out);
  for (const node of cluster.nodes) {
    assert.match(
      memberBlock(tls.out, `127.0.0.1:${node.port}`),
      /UNREACHABLE +gossip: cannot reach the node: .*certificate/i,
    );
  }
});
