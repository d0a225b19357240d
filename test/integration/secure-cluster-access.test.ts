// Access problems on secure clusters end to end through the CLI: gossip discovery is anonymous and succeeds, so
// a wrong password or an under-privileged user only shows on the member the client lands on (a follower with
// nodePreference=follower, the leader for the destination). The link must still fail at once with a stable code
// naming the node and the user, never retry in silence, and `run --until-caught-up` must exit non-zero.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { startCluster, type EmulatorCluster } from '../../src/emulator/index.js';
import { ChildTracker, exitWithin, writeTempConfig, type CliProcess } from '../helpers/daemon-process.js';
import { uniqueName } from '../helpers/nodes.js';
import { appendJson } from '../helpers/stream-compare.js';
import { EventStoreDBClient } from '@eventstore/db-client';

const EXIT_LINK_FAILED = 3;
const SECRET = 'not-the-password-c1u5';

function as(cluster: EmulatorCluster, user: string, password: string): string {
  return cluster.connectionString.replace(/^esdb:\/\/[^@]*@/, `esdb://${user}:${password}@`);
}

async function clusters(t: TestContext): Promise<{ origin: EmulatorCluster; destination: EmulatorCluster }> {
  const [origin, destination] = await Promise.all([
    startCluster({ nodes: 3, secure: true }),
    startCluster({ nodes: 3, secure: true }),
  ]);
  t.after(() => Promise.all([origin.stop(), destination.stop()]));
  return { origin, destination };
}

async function runUntilCaughtUp(
  t: TestContext,
  nodes: Record<string, unknown>[],
  link: string,
): Promise<{ p: CliProcess; code: number | null; output: string }> {
  const children = new ChildTracker();
  t.after(() => children.killAll());
  const config = await writeTempConfig({
    nodes,
    links: [{ name: link, origin: 'dc1', destination: 'dc2', filter: { includeStreamPrefixes: [`${link}-`] } }],
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: 5_000,
  });
  t.after(() => config.remove());
  const p = children.spawn(['run', '--config', config.path, '--until-caught-up', '--timeout', '60s']);
  const exit = await exitWithin(p, 60_000, 'run --until-caught-up');
  return { p, code: exit.code, output: `${p.stdout()}\n${p.stderr()}` };
}

function accessFailure(p: CliProcess, code: string): string {
  const line = p.logs().find((l) => l.code === code || (l.failure as { code?: unknown } | undefined)?.code === code);
  assert.ok(line, `a ${code} line; stdout:\n${p.stdout().slice(-3000)}`);
  return String(line.msg ?? (line.failure as { message?: unknown }).message);
}

async function seed(cluster: EmulatorCluster, link: string): Promise<void> {
  const admin = EventStoreDBClient.connectionString(cluster.connectionString);
  try {
    await appendJson(admin, `${link}-a`, 3, 50);
  } finally {
    await admin.dispose();
  }
}

test('a wrong password on a secure origin cluster read from a follower fails the link (ESDBL_AUTH_FAILED)', async (t) => {
  const { origin, destination } = await clusters(t);
  const link = uniqueName('cl-badpw');
  await seed(origin, link);
  const { p, code, output } = await runUntilCaughtUp(
    t,
    [
      { name: 'dc1', connectionString: as(origin, 'admin', SECRET), nodePreference: 'follower' },
      { name: 'dc2', connectionString: destination.connectionString },
    ],
    link,
  );
  assert.equal(code, EXIT_LINK_FAILED, output.slice(-3000));
  assert.match(accessFailure(p, 'ESDBL_AUTH_FAILED'), /origin node dc1 rejected the credentials of user 'admin'/);
  assert.ok(!output.includes(SECRET), 'the password never appears');
  assert.ok(!p.logs().some((l) => /retrying/.test(String(l.msg))), 'nothing retries it in silence');
});

test('ops on a secure destination cluster: the checkpoint write is denied and the link fails (ESDBL_ACCESS_DENIED)', async (t) => {
  const { origin, destination } = await clusters(t);
  const link = uniqueName('cl-ops');
  await seed(origin, link);
  const { p, code, output } = await runUntilCaughtUp(
    t,
    [
      { name: 'dc1', connectionString: origin.connectionString, nodePreference: 'follower' },
      { name: 'dc2', connectionString: as(destination, 'ops', 'changeit') },
    ],
    link,
  );
  assert.equal(code, EXIT_LINK_FAILED, output.slice(-3000));
  assert.match(accessFailure(p, 'ESDBL_ACCESS_DENIED'), /user 'ops' may not .*\$linker-checkpoint-/);
  assert.ok(!p.logs().some((l) => /retrying/.test(String(l.msg))), 'nothing retries it in silence');
});
