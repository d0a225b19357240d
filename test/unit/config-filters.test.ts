import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/config/index.js';

const nodes = [
  { name: 'dc1', connectionString: 'esdb://127.0.0.1:2113?tls=false' },
  { name: 'dc2', connectionString: 'esdb://127.0.0.1:2114?tls=false' },
  { name: 'reporting', connectionString: 'esdb://127.0.0.1:2115?tls=false' },
];

function problems(raw: unknown): string[] {
  try {
    resolveConfig(raw, { env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the config to be rejected');
}

const withFilter = (filter: unknown) => ({
  nodes,
  links: [
    { origin: 'dc1', destination: 'reporting', filter },
    { origin: 'dc2', destination: 'reporting', streamPrefix: 'dc2.' },
  ],
});

test('metadata conditions: Linker strings and objects are normalized to {key, value|prefix|regex}', () => {
  const config = resolveConfig(
    withFilter({
      includeMetadata: ['tenant:acme', 'region:eu-*', 'url:http://x', { key: 'priority', value: 10 }],
      excludeMetadata: [
        { key: 'kind', prefix: 'test-' },
        { key: 'user', regex: '^bot-\\d+$' },
        { key: 'flag', value: true },
        'empty:',
      ],
    }),
    { env: {} },
  );
  const filter = config.links[0]!.filter;
  assert.deepEqual(filter.includeMetadata, [
    { key: 'tenant', value: 'acme' },
    { key: 'region', prefix: 'eu-' },
    { key: 'url', value: 'http://x' },
    { key: 'priority', value: '10' },
  ]);
  assert.deepEqual(filter.excludeMetadata, [
    { key: 'kind', prefix: 'test-' },
    { key: 'user', regex: '^bot-\\d+$' },
    { key: 'flag', value: 'true' },
    { key: 'empty', value: '' },
  ]);
  assert.deepEqual(config.links[1]!.filter.includeMetadata, []);
  assert.equal(config.links[1]!.filter.localOnly, false);
  assert.deepEqual(config.links[1]!.filter.fromNodes, []);
});

test('bad metadata conditions are reported with their key path and value', () => {
  const out = problems(
    withFilter({
      includeMetadata: [
        'tenant',
        ':acme',
        42,
        { key: 'a', valeu: 'x' },
        { key: 'b', regex: '(' },
        { key: '', value: 'x' },
        { key: 'c' },
        { key: 'd', value: 'x', prefix: 'y' },
        { value: 'x' },
        { key: 'e', prefix: 3 },
      ],
      excludeMetadata: 'tenant:acme',
    }),
  );
  const expected = [
    /^links\[0\]\.filter\.includeMetadata\[0\]: "tenant" has no ":"; write "key:value"/,
    /^links\[0\]\.filter\.includeMetadata\[1\]: ":acme" has an empty key before ":"$/,
    /^links\[0\]\.filter\.includeMetadata\[2\]: must be a "key:value" string or a \{key, value\|prefix\|regex\} mapping, got 42$/,
    /^links\[0\]\.filter\.includeMetadata\[3\]\.valeu: unknown key \(did you mean "value"\?\)$/,
    /^links\[0\]\.filter\.includeMetadata\[4\]\.regex: is not a valid regular expression: "\(" \(/,
    /^links\[0\]\.filter\.includeMetadata\[5\]\.key: must not be empty$/,
    /^links\[0\]\.filter\.includeMetadata\[6\]: give one of "value", "prefix" or "regex"$/,
    /^links\[0\]\.filter\.includeMetadata\[7\]: give only one of "value", "prefix" or "regex", got "value" and "prefix"$/,
    /^links\[0\]\.filter\.includeMetadata\[8\]: missing required key "key"/,
    /^links\[0\]\.filter\.includeMetadata\[9\]\.prefix: must be a string, got 3$/,
    /^links\[0\]\.filter\.excludeMetadata: must be a list of "key:value" strings or \{key, value\|prefix\|regex\} mappings, got "tenant:acme"$/,
  ];
  for (const re of expected) {
    assert.ok(
      out.some((line) => re.test(line)),
      `no problem matches ${re}:\n${out.join('\n')}`,
    );
  }
  assert.equal(out.length, expected.length, out.join('\n'));
});

test('where-written filters: localOnly and fromNodes, layered from presets and defaults, with known node names', () => {
  const config = resolveConfig(
    {
      nodes,
      defaults: { filter: { includeMetadata: ['tenant:acme'] } },
      topology: [
        { type: 'active-active', nodes: ['dc1', 'dc2'] },
        {
          type: 'fan-in',
          origins: ['dc1', 'dc2'],
          destination: 'reporting',
          streamPrefix: '{origin}.',
          filter: { localOnly: true },
        },
      ],
    },
    { env: {} },
  );
  const fanIn = config.links.filter((l) => l.destination === 'reporting');
  assert.equal(fanIn.length, 2);
  for (const l of fanIn) {
    assert.equal(l.filter.localOnly, true);
    assert.deepEqual(l.filter.includeMetadata, [{ key: 'tenant', value: 'acme' }]);
  }
  const pair = config.links.filter((l) => l.destination !== 'reporting');
  assert.ok(pair.every((l) => !l.filter.localOnly && l.filter.includeMetadata.length === 1));
  assert.deepEqual(config.warnings, []);

  const from = resolveConfig(withFilter({ fromNodes: ['dc1', 'dc2'] }), { env: {} });
  assert.deepEqual(from.links[0]!.filter.fromNodes, ['dc1', 'dc2']);
});

test('fromNodes names must be known nodes, unique, and not combined with localOnly', () => {
  assert.deepEqual(problems(withFilter({ fromNodes: ['dc1', 'dc3', 'reportin'] })), [
    'links[0].filter.fromNodes[1]: unknown node "dc3" (did you mean "dc1"?); nodes are: dc1, dc2, reporting',
    'links[0].filter.fromNodes[2]: unknown node "reportin" (did you mean "reporting"?); nodes are: dc1, dc2, reporting',
  ]);
  assert.deepEqual(problems(withFilter({ fromNodes: ['dc1', 'dc1'] })), [
    'links[0].filter.fromNodes[1]: "dc1" is listed more than once',
  ]);
  assert.deepEqual(problems(withFilter({ localOnly: 'yes' })), [
    'links[0].filter.localOnly: must be true or false, got "yes"',
  ]);
  const both = problems({
    nodes,
    defaults: { filter: { fromNodes: ['dc2'] } },
    links: [{ origin: 'dc1', destination: 'reporting', filter: { localOnly: true } }],
  });
  assert.equal(both.length, 1, both.join('\n'));
  assert.match(
    both[0]!,
    /^links\[0\]\.filter\.localOnly: localOnly and fromNodes both set \(fromNodes at defaults\.filter\.fromNodes\)/,
  );
});
