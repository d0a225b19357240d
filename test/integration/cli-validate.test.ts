import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/esdb-linker.js', import.meta.url));
const SECRET = 'pa55-w0rd-xyz';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a child process with a clean ESDB_LINKER_* environment. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ESDB_LINKER_')));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { env: { ...base, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') {
        reject(err);
        return;
      }
      resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
  });
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-linker-cli-validate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const GOOD = `nodes:
  - name: dc1
    connectionString: esdb://ops:${SECRET}@127.0.0.1:2113?tls=false
  - name: dc2
    connectionString: esdb://127.0.0.1:2114?tls=false
  - name: reporting
    connectionString: esdb://127.0.0.1:2115?tls=false
topology:
  - type: active-active
    nodes: [dc1, dc2]
links:
  - origin: dc1
    destination: reporting
  - name: dc2-reporting
    origin: dc2
    destination: reporting
    streamPrefix: dc2.
  - origin: dc1
    destination: reporting
    streamPrefix: extra.
    name: dc1-extra
`;

test('a good config exits 0 with a one-line summary of nodes, links and warnings', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'good.yaml');
  writeFileSync(file, GOOD);
  const run = await runCli(['validate', '--config', file]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, run.stdout);
  assert.equal(
    lines[0],
    `${file}: OK, 3 nodes (dc1, dc2, reporting), 5 links: dc1 -> reporting (dc1-to-reporting), ` +
      'dc2 -> reporting (dc2-reporting), dc1 -> reporting (dc1-extra), dc1 -> dc2 (dc1-to-dc2), ' +
      'dc2 -> dc1 (dc2-to-dc1); 0 warnings',
  );
  assert.equal(run.stderr, '');
  assert.ok(!run.stdout.includes(SECRET));
});

test('warnings go to stderr with their location, and the config still passes', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'warn.yaml');
  // dc1 and dc2 no longer replicate both ways, and dc2's link lost its prefix: both can write the same streams.
  writeFileSync(
    file,
    GOOD.replace('    streamPrefix: dc2.\n', '').replace(
      'type: active-active\n    nodes: [dc1, dc2]',
      'type: active-passive\n    origin: dc1\n    destination: dc2',
    ),
  );
  const run = await runCli(['validate', '--config', file]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /; 1 warning\n$/);
  assert.match(
    run.stderr,
    new RegExp(
      `^warning: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:15:5: links\\[1\\]: dc1 -> reporting \\(links\\[0\\]\\) and dc2 -> reporting \\(links\\[1\\]\\) can write the same streams in reporting`,
    ),
  );
});

test('--json prints the resolved config with defaults applied and credentials redacted', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'good.yaml');
  writeFileSync(file, GOOD + 'http:\n  token: ' + SECRET + '\n');
  const run = await runCli(['validate', '--config', file, '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.ok(!run.stdout.includes(SECRET), run.stdout);
  const parsed = JSON.parse(run.stdout) as {
    nodes: { name: string; connectionString: string }[];
    links: { name: string; lanes: number; batch: { maxEvents: number } }[];
    http: { token: string; port: number };
  };
  assert.equal(parsed.nodes[0]?.connectionString, 'esdb://***:***@127.0.0.1:2113?tls=false');
  assert.equal(parsed.links.length, 5);
  assert.equal(parsed.links[0]?.lanes, 16);
  assert.equal(parsed.links[0]?.batch.maxEvents, 500);
  assert.equal(parsed.http.token, '***');
  assert.equal(parsed.http.port, 8113);
});

test('a bad config exits 1 with one message per problem naming the key path and the bad value', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.yaml');
  writeFileSync(
    file,
    GOOD.replace('    destination: reporting\n  - name', '    destination: reporting\n    conflicts: ignore\n  - name')
      .replace('streamPrefix: dc2.', 'streamPrefix: dc2.\n    lanes: 0')
      .replace('nodes: [dc1, dc2]', 'nodes: [dc1, dc3]')
      .replace(`esdb://ops:${SECRET}@127.0.0.1:2113`, `kurrentdb://ops:${SECRET}@127.0.0.1:2113`),
  );
  const run = await runCli(['validate', '--config', file]);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, '');
  const lines = run.stderr.trim().split('\n');
  assert.deepEqual(lines, [
    `error: ${file}:14:16: links[0].conflicts: must be one of "metadata", "stream", "halt", got "ignore"`,
    `error: ${file}:19:12: links[1].lanes: must be between 1 and 1024, got 0`,
    `error: ${file}:3:23: nodes[0].connectionString: "kurrentdb://***:***@127.0.0.1:2113?tls=false" for node "dc1" uses the kurrentdb:// scheme, which @eventstore/db-client 6.2.1 does not understand; write esdb:// (or esdb+discover:// for gossip discovery) with the same hosts and options`,
    `error: ${file}:10:18: topology[0].nodes[1]: unknown node "dc3" (did you mean "dc1"?); nodes are: dc1, dc2, reporting`,
    `${file}: invalid (4 problems)`,
  ]);
  assert.ok(!run.stderr.includes(SECRET));
  assert.ok(!/\bat .*\.js:\d+/.test(run.stderr), 'no stack trace');
});

test('broken YAML exits 1 with the line and column and no stack trace', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, 'nodes:\n  - name: dc1\n    connectionString: esdb://127.0.0.1:1\n  links: [\n');
  const run = await runCli(['validate', '--config', file]);
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: invalid YAML: `),
  );
  assert.ok(!/\bat .*\.js:\d+/.test(run.stderr), run.stderr);
});

test('broken JSON exits 1 with the line and column and no stack trace', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'broken.json');
  writeFileSync(file, '{\n  "nodes": [\n    {"name": "dc1", "connectionString": "esdb://127.0.0.1:1"},\n  ]\n}\n');
  const run = await runCli(['validate', '--config', file]);
  assert.equal(run.code, 1);
  assert.deepEqual(run.stderr.trim().split('\n'), [
    `error: ${file}:4:3: invalid JSON: trailing comma before ']' (JSON does not allow it)`,
    `${file}: invalid (1 problem)`,
  ]);
});

test('a missing file exits 1 naming the path; a missing --config is a usage error (exit 2)', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'does-not-exist.yaml');
  const missing = await runCli(['validate', '--config', file]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `error: cannot read config file ${JSON.stringify(file)}: no such file\n`);
  const usage = await runCli(['validate']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /required option '-c, --config <file>' not specified/);
});

test('environment overrides apply when validating', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'env.yaml');
  writeFileSync(file, GOOD.replace('esdb://127.0.0.1:2114?tls=false', '${DC2_CS}'));
  const unset = await runCli(['validate', '--config', file]);
  assert.equal(unset.code, 1);
  assert.match(unset.stderr, /:5:23: nodes\[1\]\.connectionString: environment variable DC2_CS is not set/);
  const set = await runCli(['validate', '--config', file, '--json'], {
    DC2_CS: 'esdb://127.0.0.1:2999?tls=false',
    ESDB_LINKER_HTTP_PORT: '9333',
    ESDB_LINKER_LOG_LEVEL: 'debug',
  });
  assert.equal(set.code, 0, set.stderr);
  const parsed = JSON.parse(set.stdout) as {
    nodes: { connectionString: string }[];
    http: { port: number };
    log: { level: string };
  };
  assert.equal(parsed.nodes[1]?.connectionString, 'esdb://127.0.0.1:2999?tls=false');
  assert.equal(parsed.http.port, 9333);
  assert.equal(parsed.log.level, 'debug');
});
