import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, redactConfig, resolveConfig } from '../../src/config/index.js';

const nodes = [
  { name: 'dc1', connectionString: 'esdb://127.0.0.1:2113?tls=false' },
  { name: 'dc2', connectionString: 'esdb://127.0.0.1:2114?tls=false' },
];
const links = [{ origin: 'dc1', destination: 'dc2' }];

function problemsOf(raw: unknown, env: Record<string, string> = {}): string[] {
  try {
    resolveConfig(raw, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

test('no cluster section: one process, cluster null', () => {
  assert.equal(resolveConfig({ nodes, links }, { env: {} }).cluster, null);
});

test('cluster defaults: kurrentdb on the first destination, name "default", hostname-pid, 15 s / 3 s / 10 s', () => {
  const c = resolveConfig({ nodes, links, cluster: {} }, { env: {} }).cluster;
  assert.ok(c);
  assert.equal(c.coordination, 'kurrentdb');
  assert.equal(c.node, 'dc2');
  assert.equal(c.name, 'default');
  assert.match(c.member, new RegExp(`-${process.pid}$`));
  assert.deepEqual([c.leaseTtlMs, c.renewIntervalMs, c.giveUpAfterMs], [15_000, 3_000, 10_000]);
});

test('ESDB_LINKER_MEMBER overrides the member; a bad one is named', () => {
  const c = resolveConfig({ nodes, links, cluster: { member: 'm1' } }, { env: { ESDB_LINKER_MEMBER: 'pod-7' } });
  assert.equal(c.cluster?.member, 'pod-7');
  assert.deepEqual(problemsOf({ nodes, links, cluster: {} }, { ESDB_LINKER_MEMBER: 'a b' }), [
    'environment variable ESDB_LINKER_MEMBER: must use letters, digits, ".", "_" and "-" only, got "a b"',
  ]);
});

test('redis needs a URL; the env overrides it; credentials never printed', () => {
  assert.deepEqual(problemsOf({ nodes, links, cluster: { coordination: 'redis' } }), [
    'cluster: coordination "redis" needs the server: set redis, redisFile or ESDB_LINKER_CLUSTER_REDIS',
  ]);
  const out = problemsOf({ nodes, links, cluster: { coordination: 'redis', redis: 'http://u:secret@host' } });
  assert.deepEqual(out, ['cluster.redis: must be a redis:// or rediss:// URL']);
  const c = resolveConfig(
    { nodes, links, cluster: { coordination: 'redis', redis: 'redis://127.0.0.1:1' } },
    { env: { ESDB_LINKER_CLUSTER_REDIS: 'redis://user:secret@127.0.0.1:6379' } },
  );
  assert.equal(c.cluster?.redisUrl, 'redis://user:secret@127.0.0.1:6379');
  const printed = JSON.stringify(redactConfig(c));
  assert.ok(!printed.includes('secret'), printed);
  assert.match(printed, /redis:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:6379/);
});

test('lease timings are checked: renew + giveUp < ttl; the node must exist', () => {
  assert.deepEqual(problemsOf({ nodes, links, cluster: { leaseTtlMs: 12_000 } }), [
    'cluster.leaseTtlMs: renewIntervalMs (3000) + giveUpAfterMs (10000) must be below leaseTtlMs (12000), so an owner that cannot renew stops its links before anyone may take them',
  ]);
  assert.deepEqual(problemsOf({ nodes, links, cluster: { node: 'dc9' } }), [
    'cluster.node: unknown node "dc9"; nodes are: dc1, dc2',
  ]);
  assert.match(problemsOf({ nodes, links, cluster: { leaseTtl: 1 } }).join('\n'), /cluster\.leaseTtl/);
});
