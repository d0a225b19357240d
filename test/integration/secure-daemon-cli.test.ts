// The daemon on secure servers, end to end through the CLI: TLS with tlsCAFile and credentials from the
// connection string (or connectionStringFile) replicates exactly; every access problem fails its link at once
// with a stable code and a message naming the node, the user and the missing right, never the password.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { jsonEvent } from '@eventstore/db-client';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { ChildTracker, eventually, exitWithin, writeTempConfig, type CliProcess } from '../helpers/daemon-process.js';
import { realServerUrl, startNodes, uniqueName, type TestNode } from '../helpers/nodes.js';
import { appendJson, compareStreams, readCheckpoint } from '../helpers/stream-compare.js';

const EXIT_LINK_FAILED = 3;

// The users, ACL grants and certificates here are the secure emulator's; ESDB_URL_n servers are insecure.
const SKIP =
  (realServerUrl(0) ?? realServerUrl(1)) ? 'ESDB_URL_n is set: these tests start secure emulators' : undefined;
function secureTest(name: string, fn: (t: TestContext) => Promise<void>): void {
  test(name, { skip: SKIP }, fn);
}
const SECRET = 'not-the-password-9f3k';

function as(node: TestNode, user: string, password: string): string {
  return node.connectionString.replace(/^esdb:\/\/[^@]*@/, `esdb://${user}:${password}@`);
}

async function secureNodes(t: TestContext): Promise<{ dc1: TestNode; dc2: TestNode; children: ChildTracker }> {
  const children = new ChildTracker();
  const [dc1, dc2] = await startNodes(['dc1', 'dc2'], { secure: true });
  t.after(async () => {
    await children.killAll();
    await Promise.all([dc1!.stop(), dc2!.stop()]);
  });
  return { dc1: dc1!, dc2: dc2!, children };
}

async function runOnce(
  t: TestContext,
  children: ChildTracker,
  nodes: Record<string, unknown>[],
  link: string,
  extra: Record<string, unknown> = {},
): Promise<{ p: CliProcess; exit: { code: number | null; signal: NodeJS.Signals | null }; output: string }> {
  const config = await writeTempConfig({
    nodes,
    links: [{ name: link, origin: 'dc1', destination: 'dc2', filter: { includeStreamPrefixes: [`${link}-`] } }],
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: 5_000,
    ...extra,
  });
  t.after(() => config.remove());
  const p = children.spawn(['run', '--config', config.path, '--until-caught-up']);
  const exit = await exitWithin(p, 60_000, 'run --until-caught-up');
  return { p, exit, output: `${p.stdout()}\n${p.stderr()}` };
}

function failureLine(p: CliProcess): Record<string, unknown> {
  const isAccess = (code: unknown): boolean =>
    typeof code === 'string' && /^ESDBL_(ACCESS_DENIED|AUTH_FAILED)$/.test(code);
  // The link's own failure line, or the run's closing line when the link never started.
  const line =
    p.logs().find((l) => isAccess(l.code)) ??
    (p.logs().find((l) => isAccess((l.failure as { code?: unknown } | undefined)?.code))?.failure as
      Record<string, unknown> | undefined);
  assert.ok(line, `an access failure is logged with its code; stdout:\n${p.stdout().slice(-3000)}`);
  return { code: line.code, msg: line.msg ?? line.message };
}

secureTest(
  'secure to secure: TLS, credentials from the connection string and from a file, exact replica',
  async (t) => {
    const { dc1, dc2, children } = await secureNodes(t);
    const origin = dc1.client();
    const destination = dc2.client();
    const link = uniqueName('secure');
    const streams = Array.from({ length: 12 }, (_, i) => `${link}-s${i}`);
    for (const [i, s] of streams.entries()) await appendJson(origin, s, 1 + (i % 5) * 7, 100 + i * 40);
    await origin.setStreamMetadata(streams[0]!, { maxCount: 1000 });

    const csFile = join(dirname((await writeTempConfig('{}')).path), 'dc2.connection');
    await writeFile(csFile, `${dc2.connectionString}\n`, { mode: 0o600 });
    const { exit, p } = await runOnce(
      t,
      children,
      [
        { name: 'dc1', connectionString: dc1.connectionString },
        { name: 'dc2', connectionStringFile: csFile },
      ],
      link,
    );
    assert.deepEqual(exit, { code: 0, signal: null }, p.stdout().slice(-3000) + p.stderr());
    assert.deepEqual(await compareStreams(origin, destination, streams), []);
    const verified = await compareNodes(origin, destination, { includeStreamPrefixes: [`${link}-`] });
    assert.deepEqual(verified.differences, []);
    assert.equal(verified.streamsCompared, streams.length);
    assert.ok(await readCheckpoint(destination, link), 'the $-prefixed checkpoint stream was written as admin');
  },
);

/** One `--until-caught-up` run that must end with the link failed on an access problem: its failure line. */
async function runExpectingAccessFailure(
  t: TestContext,
  children: ChildTracker,
  nodes: Record<string, unknown>[],
  link: string,
): Promise<{ p: CliProcess; output: string; line: Record<string, unknown> }> {
  const { exit, p, output } = await runOnce(t, children, nodes, link);
  assert.equal(exit.code, EXIT_LINK_FAILED, output.slice(-3000));
  return { p, output, line: failureLine(p) };
}

secureTest(
  'a wrong origin password fails the link at once (ESDBL_AUTH_FAILED), naming node and user, never the password',
  async (t) => {
    const { dc1, dc2, children } = await secureNodes(t);
    const link = uniqueName('badpw');
    await appendJson(dc1.client(), `${link}-a`, 3, 50);
    const { p, output, line } = await runExpectingAccessFailure(
      t,
      children,
      [
        { name: 'dc1', connectionString: as(dc1, 'admin', SECRET) },
        { name: 'dc2', connectionString: dc2.connectionString },
      ],
      link,
    );
    assert.equal(line.code, 'ESDBL_AUTH_FAILED');
    assert.match(String(line.msg), /origin node dc1 rejected the credentials of user 'admin'/);
    assert.ok(!output.includes(SECRET), 'the password never appears in the output');
    assert.ok(!p.logs().some((l) => /retrying/.test(String(l.msg))), 'nothing retries it in silence');
  },
);

secureTest(
  'ops on the origin: the running link fails (ESDBL_ACCESS_DENIED: reading $all needs $admins), readiness says so',
  async (t) => {
    const { dc1, dc2, children } = await secureNodes(t);
    const link = uniqueName('ops-origin');
    await appendJson(dc1.client(), `${link}-a`, 2, 50);
    const config = await writeTempConfig({
      nodes: [
        { name: 'dc1', connectionString: as(dc1, 'ops', 'changeit') },
        { name: 'dc1admin', connectionString: dc1.connectionString },
        { name: 'dc2', connectionString: dc2.connectionString },
      ],
      // A healthy second link keeps the daemon up (it stops when every link failed), so readiness can be asked.
      links: [
        { name: link, origin: 'dc1', destination: 'dc2' },
        { name: `${link}-ok`, origin: 'dc1admin', destination: 'dc2', filter: { includeStreamPrefixes: [`${link}-`] } },
      ],
      log: { level: 'info', format: 'json' },
      http: { host: '127.0.0.1', port: 0 },
    });
    t.after(() => config.remove());
    const p = children.spawn(['run', '--config', config.path]);
    const failed = await p.waitForLog((l) => l.code === 'ESDBL_ACCESS_DENIED', 30_000, 'the access failure');
    assert.match(
      String(failed.msg),
      /user 'ops' may not read \$all on origin node dc1 .*reading \$all needs \$admins or an ACL grant/,
    );
    const running = await p.waitForLog((l) => l.msg === 'running', 30_000, 'the running line');
    const url = String(running.http);
    const ready = await fetch(`${url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /ESDBL_ACCESS_DENIED.*reading \$all needs \$admins/);
    p.kill('SIGTERM');
    await exitWithin(p, 30_000, 'run after SIGTERM');
  },
);

secureTest(
  'a destination user that may not write the checkpoint stream fails the link, naming $linker-checkpoint-*',
  async (t) => {
    const { dc1, dc2, children } = await secureNodes(t);
    const link = uniqueName('ops-dest');
    await appendJson(dc1.client(), `${link}-a`, 2, 50);
    const { line } = await runExpectingAccessFailure(
      t,
      children,
      [
        { name: 'dc1', connectionString: dc1.connectionString },
        { name: 'dc2', connectionString: as(dc2, 'ops', 'changeit') },
      ],
      link,
    );
    assert.equal(line.code, 'ESDBL_ACCESS_DENIED');
    assert.match(
      String(line.msg),
      new RegExp(
        `user 'ops' may not read \\$linker-checkpoint-${link} on destination node dc2 .*\\$admins or an ACL grant`,
      ),
    );
  },
);

secureTest(
  'a destination user granted the $-streams but not the user streams fails on the first destination write',
  async (t) => {
    const { dc1, dc2, children } = await secureNodes(t);
    const link = uniqueName('no-write');
    await appendJson(dc1.client(), `${link}-a`, 2, 50);
    const admin = dc2.client();
    // Least privilege gone wrong: $ops gets the bookkeeping streams, user streams are admin-only.
    const everyone = { $r: '$all', $w: '$admins', $d: '$all', $mr: '$all', $mw: '$all' };
    const ops = {
      $r: ['$admins', '$ops'],
      $w: ['$admins', '$ops'],
      $d: '$admins',
      $mr: ['$admins', '$ops'],
      $mw: ['$admins', '$ops'],
    };
    await admin.appendToStream(
      '$settings',
      jsonEvent({ type: 'settings', data: { $userStreamAcl: everyone, $systemStreamAcl: ops } }),
    );
    const { p, line } = await runExpectingAccessFailure(
      t,
      children,
      [
        { name: 'dc1', connectionString: dc1.connectionString },
        { name: 'dc2', connectionString: as(dc2, 'ops', 'changeit') },
      ],
      link,
    );
    assert.equal(line.code, 'ESDBL_ACCESS_DENIED');
    assert.match(
      String(line.msg),
      new RegExp(`user 'ops' may not write ${link}-a on destination node dc2 .*\\$w right`),
    );
    assert.equal(p.logs().filter((l) => /conflict/.test(String(l.msg))).length, 0, 'not treated as a conflict');
  },
);

secureTest('validate --connect tests reachability, TLS and every right per node before a first run', async (t) => {
  const { dc1, dc2, children } = await secureNodes(t);
  const link = uniqueName('preflight');
  const validate = async (nodes: Record<string, unknown>[]): Promise<{ code: number | null; out: string }> => {
    const config = await writeTempConfig({ nodes, links: [{ name: link, origin: 'dc1', destination: 'dc2' }] });
    t.after(() => config.remove());
    const p = children.spawn(['validate', '--config', config.path, '--connect']);
    const exit = await exitWithin(p, 60_000, 'validate --connect');
    return { code: exit.code, out: `${p.stdout()}${p.stderr()}` };
  };
  const good = await validate([
    { name: 'dc1', connectionString: dc1.connectionString },
    { name: 'dc2', connectionString: dc2.connectionString },
  ]);
  assert.equal(good.code, 0, good.out);
  assert.match(good.out, /node dc1 \(esdb:\/\/\*\*\*:\*\*\*@.*\), TLS, as user 'admin':\n {2}ok +read \$all/);
  assert.match(good.out, new RegExp(`ok +set metadata of \\$linker-checkpoint-${link}`));
  assert.match(good.out, /every node is reachable and grants every right/);

  const closedPort = dc1.connectionString.replace(/:(\d+)\?/, ':1?');
  const bad = await validate([
    { name: 'dc1', connectionString: as(dc1, 'admin', SECRET) },
    { name: 'dc2', connectionString: as(dc2, 'ops', 'changeit') },
    { name: 'dc3', connectionString: closedPort },
  ]);
  assert.equal(bad.code, 1, bad.out);
  assert.match(bad.out, /AUTH FAILED +read \$all \[link .*\]: the node rejected the credentials of user 'admin'/);
  assert.match(bad.out, new RegExp(`DENIED +write \\$linker-checkpoint-${link} .*user 'ops' may not`));
  assert.match(bad.out, /ok +write esdb-linker-preflight/);
  assert.ok(!bad.out.includes(SECRET), 'the password never appears');
  // Nothing was written by the probes.
  assert.equal(await readCheckpoint(dc2.client(), link), null);
});

secureTest('validate --connect names a node it cannot reach or whose TLS certificate it cannot verify', async (t) => {
  const { dc1, dc2, children } = await secureNodes(t);
  const link = uniqueName('preflight-tls');
  // dc2's CA cannot verify dc1's certificate.
  const wrongCa = dc1.connectionString.replace(/tlsCAFile=[^&]*/, dc2.connectionString.match(/tlsCAFile=[^&]*/)![0]);
  const config = await writeTempConfig({
    nodes: [
      { name: 'dc1', connectionString: wrongCa },
      { name: 'dc2', connectionString: dc2.connectionString.replace(/:(\d+)\?/, ':1?') },
    ],
    links: [{ name: link, origin: 'dc1', destination: 'dc2' }],
  });
  t.after(() => config.remove());
  const p = children.spawn(['validate', '--config', config.path, '--connect']);
  const exit = await exitWithin(p, 60_000, 'validate --connect');
  const out = p.stdout();
  assert.equal(exit.code, 1, out + p.stderr());
  assert.match(out, /UNREACHABLE +read \$all .*cannot reach the node: .*certificate/);
  assert.match(out, /node dc2 .*\n {2}UNREACHABLE +write esdb-linker-preflight/);
});

/** The least-privilege recipe of docs/secure-cluster.md: `$-streams` opened to one group through `$settings`. */
const RECIPE_SETTINGS = {
  $userStreamAcl: { $r: '$all', $w: '$all', $d: '$all', $mr: '$all', $mw: '$all' },
  $systemStreamAcl: {
    $r: ['$admins', 'replicators'],
    $w: ['$admins', 'replicators'],
    $d: '$admins',
    $mr: ['$admins', 'replicators'],
    $mw: ['$admins', 'replicators'],
  },
};

secureTest(
  'least privilege: a user of a group granted through $settings replicates, and losing the grant fails the link',
  async (t) => {
    const children = new ChildTracker();
    const [dc1, dc2] = await startNodes(['dc1', 'dc2'], { secure: { users: ['linker:lp-pass:replicators'] } });
    t.after(async () => {
      await children.killAll();
      await Promise.all([dc1!.stop(), dc2!.stop()]);
    });
    const origin = dc1!.client();
    const destination = dc2!.client();
    for (const admin of [origin, destination]) {
      await admin.appendToStream('$settings', jsonEvent({ type: 'update-default-acl', data: RECIPE_SETTINGS }));
    }
    const link = uniqueName('least');
    const streams = [`${link}-a`, `${link}-b`];
    for (const s of streams) await appendJson(origin, s, 4, 60);
    const config = await writeTempConfig({
      nodes: [
        { name: 'dc1', connectionString: as(dc1!, 'linker', 'lp-pass') },
        { name: 'dc2', connectionString: as(dc2!, 'linker', 'lp-pass') },
      ],
      links: [{ name: link, origin: 'dc1', destination: 'dc2', filter: { includeStreamPrefixes: [`${link}-`] } }],
      log: { level: 'info', format: 'json' },
    });
    t.after(() => config.remove());
    const p = children.spawn(['run', '--config', config.path]);
    await p.waitForLog((l) => l.msg === 'caught up: live', 30_000, 'the link catching up');
    await eventually(async () => (await compareStreams(origin, destination, streams)).length === 0, 30_000, 'replica');

    // The origin's admin takes $all away from the group: the live subscription is dropped and the link fails.
    await origin.appendToStream(
      '$settings',
      jsonEvent({
        type: 'update-default-acl',
        data: { ...RECIPE_SETTINGS, $systemStreamAcl: { ...RECIPE_SETTINGS.$systemStreamAcl, $r: '$admins' } },
      }),
    );
    const exit = await exitWithin(p, 30_000, 'run after losing the grant');
    assert.equal(exit.code, EXIT_LINK_FAILED, p.stdout().slice(-3000));
    const line = failureLine(p);
    assert.equal(line.code, 'ESDBL_ACCESS_DENIED');
    assert.match(String(line.msg), /user 'linker' may not read \$all on origin node dc1/);
  },
);
