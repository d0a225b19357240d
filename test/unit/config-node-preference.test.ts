import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConnectionString } from '@eventstore/db-client/dist/Client/parseConnectionString.js';
import { ConfigError, resolveConfig } from '../../src/config/index.js';

const cluster = (base: number) => `esdb://127.0.0.1:${base},127.0.0.1:${base + 1},127.0.0.1:${base + 2}?tls=false`;
const config = (origin: Record<string, unknown>) => ({
  nodes: [
    { name: 'dc1', connectionString: cluster(2111), ...origin },
    { name: 'dc2', connectionString: cluster(3111) },
  ],
  links: [{ origin: 'dc1', destination: 'dc2' }],
});

function rejected(raw: unknown): ConfigError {
  try {
    resolveConfig(raw, { env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected the config to be rejected');
}

test('nodePreference lands in the connection string the client parses; absent keeps the default (leader)', () => {
  const resolved = resolveConfig(config({ nodePreference: 'follower' }), { env: {} });
  const [dc1, dc2] = resolved.nodes;
  assert.equal(
    (parseConnectionString(dc1!.connectionString) as { nodePreference?: string }).nodePreference,
    'follower',
  );
  assert.equal((parseConnectionString(dc2!.connectionString) as { nodePreference?: string }).nodePreference, undefined);
  assert.deepEqual(resolved.warnings, []);
});

test('the same preference in the string and the field is accepted once; a different one is a conflict', () => {
  const same = resolveConfig(
    config({ connectionString: `${cluster(2111)}&nodePreference=Follower`, nodePreference: 'follower' }),
    { env: {} },
  );
  assert.equal(same.nodes[0]!.connectionString.match(/nodePreference/gi)?.length, 1);
  const err = rejected(
    config({ connectionString: `${cluster(2111)}&nodePreference=leader`, nodePreference: 'follower' }),
  );
  assert.match(err.message, /nodePreference=leader but the node sets nodePreference "follower"/);
  assert.match(err.message, /nodes\[0\]\.connectionString/);
});

test('an unknown nodePreference is rejected, naming the allowed values', () => {
  const err = rejected(config({ nodePreference: 'secondary' }));
  assert.match(err.message, /nodes\[0\]\.nodePreference/);
  assert.match(err.message, /follower/);
});

test('nodePreference on a single-host string warns that the client ignores it', () => {
  const resolved = resolveConfig(
    config({ connectionString: 'esdb://127.0.0.1:2113?tls=false', nodePreference: 'follower' }),
    { env: {} },
  );
  assert.equal(resolved.warnings.length, 1);
  assert.match(resolved.warnings[0]!.message, /no effect on a single-host/);
});
