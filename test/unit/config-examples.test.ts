import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/index.js';
import type { ResolvedConfig } from '../../src/config/config-types.js';

const configDir = fileURLToPath(new URL('../../../config/', import.meta.url));
const load = (name: string): Promise<ResolvedConfig> => loadConfig(`${configDir}${name}`, {});
const summary = (c: ResolvedConfig) =>
  c.links.map((l) => `${l.name}: ${l.origin} -> ${l.destination} [${l.streamPrefix}]`);

/** What each shipped example must expand to. A new example must be added here too. */
const expected: Record<string, string[]> = {
  'active-passive.yaml': ['primary-to-standby: primary -> standby []'],
  'active-active.yaml': ['dc1-to-dc2: dc1 -> dc2 []', 'dc2-to-dc1: dc2 -> dc1 []'],
  'chain.yaml': ['edge-to-regional: edge -> regional []', 'regional-to-central: regional -> central []'],
  'fan-in.yaml': [
    'shop-a-to-reporting: shop-a -> reporting [shop-a.]',
    'shop-b-to-reporting: shop-b -> reporting [shop-b.]',
    'shop-c-to-reporting: shop-c -> reporting [shop-c.]',
  ],
  'fan-out.yaml': [
    'central-to-analytics: central -> analytics []',
    'central-to-eu: central -> eu []',
    'central-to-us: central -> us []',
  ],
  'catch-up.yaml': ['migration: old -> new []'],
  'reporting-beneath-active-active.yaml': [
    'dc1-to-dc2: dc1 -> dc2 []',
    'dc2-to-dc1: dc2 -> dc1 []',
    'dc1-into-reporting: dc1 -> reporting [dc1.]',
    'dc2-into-reporting: dc2 -> reporting [dc2.]',
  ],
  'minimal.json': ['dc1-to-dc2: dc1 -> dc2 []'],
};

test('every example config in config/ is covered by this test', () => {
  const examples = readdirSync(configDir).filter((f) => /\.(ya?ml|json)$/.test(f) && !f.endsWith('.schema.json'));
  assert.deepEqual(examples.sort(), Object.keys(expected).sort());
});

for (const [file, links] of Object.entries(expected)) {
  test(`${file} validates without warnings and expands to the expected links`, async () => {
    const config = await load(file);
    assert.deepEqual(summary(config), links);
    assert.deepEqual(config.warnings, []);
  });
}

test('examples carry the options their comments promise', async () => {
  const passive = await load('active-passive.yaml');
  assert.equal(passive.links[0]?.annotate, false);
  assert.equal(passive.links[0]?.conflicts, 'halt');
  assert.equal(passive.http?.port, 8113);

  const active = await load('active-active.yaml');
  assert.ok(active.links.every((l) => l.annotate && l.conflicts === 'stream'));
  assert.ok(active.links.every((l) => l.filter.excludeStreamPrefixes.includes('local-')));
  assert.deepEqual(active.log, { level: 'info', format: 'json' });

  const chain = await load('chain.yaml');
  assert.ok(chain.links.every((l) => l.batch.maxEvents === 1000));

  const reporting = await load('reporting-beneath-active-active.yaml');
  const intoReporting = reporting.links.filter((l) => l.destination === 'reporting');
  assert.equal(intoReporting.length, 2);
  for (const l of intoReporting) {
    assert.equal(l.filter.localOnly, true);
    assert.deepEqual(l.filter.includeMetadata, [
      { key: 'tenant', value: 'acme' },
      { key: 'region', prefix: 'eu-' },
    ]);
    assert.deepEqual(l.filter.excludeMetadata, [
      { key: 'source', prefix: 'load-test' },
      { key: 'user', regex: '^bot-[0-9]+$' },
    ]);
  }
  assert.ok(reporting.links.filter((l) => l.destination !== 'reporting').every((l) => !l.filter.localOnly));

  const fanIn = await load('fan-in.yaml');
  assert.ok(fanIn.links.every((l) => l.filter.includeStreamPrefixes.join() === 'order-,payment-'));

  const fanOut = await load('fan-out.yaml');
  const analytics = fanOut.links.find((l) => l.destination === 'analytics');
  assert.equal(analytics?.ordering, 'global');
  assert.equal(analytics?.filter.includeEventTypeRegex, '^Order');

  const catchUp = await load('catch-up.yaml');
  assert.equal(catchUp.links[0]?.lanes, 64);
  assert.equal(catchUp.shutdownGraceMs, 30_000);
});

test('example connection strings can be overridden from the environment', async () => {
  const config = await loadConfig(`${configDir}active-active.yaml`, {
    DC1_CONNECTION_STRING: 'esdb://127.0.0.1:3113?tls=false',
    ESDB_LINKER_NODE_DC2_CONNECTION_STRING: 'esdb://127.0.0.1:3114?tls=false',
    HTTP_PORT: '9200',
  });
  assert.deepEqual(
    config.nodes.map((n) => n.connectionString),
    ['esdb://127.0.0.1:3113?tls=false', 'esdb://127.0.0.1:3114?tls=false'],
  );
  assert.equal(config.http?.port, 9200);
});
