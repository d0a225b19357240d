import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/config/index.js';
import type { ResolvedConfig } from '../../src/config/config-types.js';

const node = (name: string, port: number) => ({ name, connectionString: `esdb://127.0.0.1:${port}?tls=false` });
const nodes = [node('a', 2113), node('b', 2114), node('c', 2115), node('r', 2116)];

const arrows = (config: ResolvedConfig) => config.links.map((l) => `${l.origin}->${l.destination}`);

function problems(raw: unknown): string[] {
  try {
    resolveConfig(raw, { env: {} });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the config to be rejected');
}

test('each preset expands into its links, in order, after explicit links', () => {
  const config = resolveConfig(
    {
      nodes,
      links: [{ origin: 'r', destination: 'a', streamPrefix: 'report.' }],
      topology: [
        { type: 'active-passive', origin: 'a', destination: 'b' },
        { type: 'chain', nodes: ['b', 'c', 'r'], streamPrefix: 'chain.' },
        { type: 'fan-out', origin: 'c', destinations: ['a', 'b'], streamPrefix: 'out.' },
        { type: 'fan-in', origins: ['a', 'b'], destination: 'c', streamPrefix: '{origin}.', name: 'in-{origin}' },
      ],
    },
    { env: {} },
  );
  assert.deepEqual(arrows(config), ['r->a', 'a->b', 'b->c', 'c->r', 'c->a', 'c->b', 'a->c', 'b->c']);
  assert.deepEqual(
    config.links.map((l) => l.name),
    ['r-to-a', 'a-to-b', 'b-to-c', 'c-to-r', 'c-to-a', 'c-to-b', 'in-a', 'in-b'],
  );
  assert.deepEqual(
    config.links.map((l) => l.streamPrefix),
    ['report.', '', 'chain.', 'chain.', 'out.', 'out.', 'a.', 'b.'],
  );
});

test('active-active links every pair both ways (a full mesh for three nodes)', () => {
  const two = resolveConfig({ nodes, topology: [{ type: 'active-active', nodes: ['a', 'b'] }] }, { env: {} });
  assert.deepEqual(arrows(two), ['a->b', 'b->a']);
  const three = resolveConfig({ nodes, topology: [{ type: 'active-active', nodes: ['a', 'b', 'c'] }] }, { env: {} });
  assert.deepEqual(arrows(three), ['a->b', 'a->c', 'b->a', 'b->c', 'c->a', 'c->b']);
  // Nodes that replicate to each other share streams on purpose: no fan-in warning for a mesh.
  assert.deepEqual(
    three.warnings.filter((w) => !w.message.includes('not used')),
    [],
  );
});

test('options on a preset apply to all its links; link > preset > defaults > built-in', () => {
  const config = resolveConfig(
    {
      nodes,
      defaults: { lanes: 4, conflicts: 'halt', batch: { maxEvents: 100 } },
      topology: [{ type: 'active-active', nodes: ['a', 'b'], conflicts: 'metadata', batch: { initialEvents: 20 } }],
      links: [{ origin: 'a', destination: 'c', lanes: 2 }],
    },
    { env: {} },
  );
  const byName = new Map(config.links.map((l) => [l.name, l]));
  assert.equal(byName.get('a-to-b')?.conflicts, 'metadata');
  assert.equal(byName.get('b-to-a')?.conflicts, 'metadata');
  assert.equal(byName.get('a-to-b')?.lanes, 4);
  assert.deepEqual(byName.get('b-to-a')?.batch, {
    adaptive: true,
    minEvents: 1,
    initialEvents: 20,
    maxEvents: 100,
    maxBytes: 900_000,
  });
  assert.equal(byName.get('a-to-c')?.conflicts, 'halt');
  assert.equal(byName.get('a-to-c')?.lanes, 2);
  assert.equal(byName.get('a-to-c')?.batch.initialEvents, 50);
});

test('a preset name template names each of its links', () => {
  const config = resolveConfig(
    { nodes, topology: [{ type: 'fan-out', origin: 'a', destinations: ['b', 'c'], name: 'replica-{destination}' }] },
    { env: {} },
  );
  assert.deepEqual(
    config.links.map((l) => l.name),
    ['replica-b', 'replica-c'],
  );
  const out = problems({ nodes, topology: [{ type: 'fan-out', origin: 'a', destinations: ['b', 'c'], name: 'same' }] });
  assert.deepEqual(out, [
    'topology[0].name: link name "same" (a -> c) is already used by topology[0] (a -> b); set a distinct "name" (names the checkpoint stream)',
  ]);
});

test('preset shapes are validated: type, node lists, required keys, keys of other presets', () => {
  const out = problems({
    nodes,
    topology: [
      { type: 'activ-passive', origin: 'a', destination: 'b' },
      { nodes: ['a', 'b'] },
      { type: 'chain', nodes: ['a'] },
      { type: 'chain', nodes: ['a', 'b', 'a'] },
      { type: 'fan-in', origins: 'a', destination: 'b' },
      { type: 'fan-out', origin: 'a' },
      { type: 'active-passive', origin: 'a', destinations: ['b'] },
    ],
  });
  assert.deepEqual(out, [
    'topology[0].type: must be one of "active-passive", "active-active", "chain", "fan-in", "fan-out", got "activ-passive" (did you mean "active-passive"?)',
    'topology[1]: missing required key "type" (one of "active-passive", "active-active", "chain", "fan-in", "fan-out")',
    'topology[2].nodes: must list at least 2, got 1',
    'topology[3].nodes[2]: "a" is listed more than once',
    'topology[4].origins: must be a list of strings, got "a"',
    'topology[5]: missing required key "destinations"',
    'topology[6].destinations: unknown key (did you mean "destination"?)',
    'topology[6]: missing required key "destination"',
  ]);
});

test('unknown nodes are rejected where they are named, with suggestions', () => {
  const out = problems({
    nodes,
    links: [{ origin: 'a', destination: 'x' }],
    topology: [{ type: 'fan-in', origins: ['a', 'B'], destination: 'rr' }],
  });
  assert.deepEqual(out, [
    'links[0].destination: unknown node "x"; nodes are: a, b, c, r',
    'topology[0].destination: unknown node "rr"; nodes are: a, b, c, r',
    'topology[0].origins[1]: unknown node "B" (did you mean "b"?); nodes are: a, b, c, r',
  ]);
});

test('a link from a node to itself is rejected', () => {
  assert.deepEqual(problems({ nodes, links: [{ origin: 'a', destination: 'a' }] }), [
    'links[0]: a link from a node to itself (a -> a) is not allowed',
  ]);
});

test('duplicate links (same origin, destination and prefix) are rejected across links and presets', () => {
  const out = problems({
    nodes,
    links: [{ origin: 'a', destination: 'b' }],
    topology: [{ type: 'active-active', nodes: ['a', 'b'] }],
  });
  assert.deepEqual(out, [
    'topology[0]: the link a -> b is defined twice (also by links[0]); remove one, give them different streamPrefix values, or disjoint stream filters (filter.includeStreamPrefixes / excludeStreamPrefixes)',
  ]);
  const prefixed = problems({
    nodes,
    links: [
      { name: 'one', origin: 'a', destination: 'b', streamPrefix: '{origin}.' },
      { name: 'two', origin: 'a', destination: 'b', streamPrefix: 'a.' },
    ],
  });
  assert.deepEqual(prefixed, [
    'links[1]: the link a -> b and streamPrefix "a." is defined twice (also by links[0]); remove one, give them different streamPrefix values, or disjoint stream filters (filter.includeStreamPrefixes / excludeStreamPrefixes)',
  ]);
  // A different prefix makes a different link.
  const ok = resolveConfig(
    {
      nodes,
      links: [
        { name: 'one', origin: 'a', destination: 'b' },
        { name: 'two', origin: 'a', destination: 'b', streamPrefix: 'x.' },
      ],
    },
    { env: {} },
  );
  assert.equal(ok.links.length, 2);
});

test('cycles are fine while every link on them annotates', () => {
  const ring = resolveConfig(
    {
      nodes,
      links: [
        { origin: 'a', destination: 'b' },
        { origin: 'b', destination: 'c' },
        { origin: 'c', destination: 'a' },
      ],
    },
    { env: {} },
  );
  assert.deepEqual(arrows(ring), ['a->b', 'b->c', 'c->a']);
  // annotate: false off any cycle is allowed (active/passive exact copies).
  const chain = resolveConfig(
    { nodes, topology: [{ type: 'chain', nodes: ['a', 'b', 'c'], annotate: false }] },
    { env: {} },
  );
  assert.equal(
    chain.links.every((l) => !l.annotate),
    true,
  );
});

test('a cycle with a link that does not annotate is rejected, naming the cycle', () => {
  assert.deepEqual(problems({ nodes, topology: [{ type: 'active-active', nodes: ['a', 'b'], annotate: false }] }), [
    'topology[0].annotate: annotate is false for a -> b (topology[0]), but that link is on the cycle a -> b -> a; loop prevention needs every link on a cycle to annotate, so events would be copied round forever',
  ]);
  const ring = problems({
    nodes,
    defaults: { annotate: true },
    links: [
      { origin: 'a', destination: 'b' },
      { origin: 'b', destination: 'c', annotate: false },
      { origin: 'c', destination: 'a' },
    ],
  });
  assert.deepEqual(ring, [
    'links[1].annotate: annotate is false for b -> c (links[1]), but that link is on the cycle b -> c -> a -> b; loop prevention needs every link on a cycle to annotate, so events would be copied round forever',
  ]);
  const viaDefaults = problems({
    nodes,
    defaults: { annotate: false },
    topology: [{ type: 'active-active', nodes: ['a', 'b'] }],
  });
  assert.equal(viaDefaults.length, 1);
  assert.match(viaDefaults[0] ?? '', /^defaults\.annotate: annotate is false/);
});

test('fan-in links that can write the same destination streams are a warning (once per pair of entries)', () => {
  const config = resolveConfig(
    { nodes, topology: [{ type: 'fan-in', origins: ['a', 'b', 'c'], destination: 'r' }] },
    { env: {} },
  );
  assert.deepEqual(
    config.warnings.map((w) => `${w.path}: ${w.message}`),
    [
      'topology[0]: a -> r (topology[0]) and b -> r (topology[0]) can write the same streams in r: give them distinct streamPrefix values (e.g. "{origin}.") or disjoint filter.includeStreamPrefixes',
    ],
  );
  const explicit = resolveConfig(
    {
      nodes,
      links: [
        { origin: 'a', destination: 'r' },
        { origin: 'b', destination: 'r' },
        { origin: 'c', destination: 'r' },
      ],
    },
    { env: {} },
  );
  assert.deepEqual(
    explicit.warnings.map((w) => w.path),
    ['links[1]', 'links[2]', 'links[2]'],
  );
});

test('distinct prefixes or disjoint include filters silence the fan-in warning', () => {
  const prefixed = resolveConfig(
    { nodes, topology: [{ type: 'fan-in', origins: ['a', 'b'], destination: 'r', streamPrefix: '{origin}.' }] },
    { env: {} },
  );
  assert.deepEqual(
    prefixed.warnings.filter((w) => w.message.includes('same streams')),
    [],
  );
  const disjoint = resolveConfig(
    {
      nodes,
      links: [
        { origin: 'a', destination: 'r', filter: { includeStreamPrefixes: ['orders-'] } },
        { origin: 'b', destination: 'r', filter: { includeStreamPrefixes: ['payments-', 'refunds-'] } },
      ],
    },
    { env: {} },
  );
  assert.deepEqual(
    disjoint.warnings.filter((w) => w.message.includes('same streams')),
    [],
  );
  const overlapping = resolveConfig(
    {
      nodes,
      links: [
        { origin: 'a', destination: 'r', filter: { includeStreamPrefixes: ['orders-'] } },
        { origin: 'b', destination: 'r', filter: { includeStreamPrefixes: ['orders-eu-'] } },
      ],
    },
    { env: {} },
  );
  assert.deepEqual(
    overlapping.warnings.filter((w) => w.message.includes('same streams')).map((w) => w.path),
    ['links[1]'],
  );
});

test('links on one pair split its streams when their stream filters are disjoint; a warning when they may overlap', () => {
  const split = resolveConfig({
    nodes,
    links: [
      { name: 'orders', origin: 'a', destination: 'b', filter: { includeStreamPrefixes: ['orders-'] } },
      { name: 'users', origin: 'a', destination: 'b', filter: { includeStreamPrefixes: ['users-', 'accounts-'] } },
      {
        name: 'rest',
        origin: 'a',
        destination: 'b',
        filter: { excludeStreamPrefixes: ['orders-', 'users-', 'accounts-'] },
      },
    ],
  });
  assert.deepEqual(
    split.links.map((l) => l.name),
    ['orders', 'users', 'rest'],
  );
  assert.deepEqual(
    split.warnings.filter((w) => !w.message.includes('not used by any link')),
    [],
  );
  const maybe = resolveConfig({
    nodes,
    links: [
      { name: 'one', origin: 'a', destination: 'b', filter: { includeStreamRegex: '^o' } },
      { name: 'two', origin: 'a', destination: 'b', filter: { includeStreamPrefixes: ['orders-'] } },
    ],
  });
  assert.match(
    maybe.warnings.map((w) => `${w.path}: ${w.message}`).join('\n'),
    /links\[1\]: the links a -> b .* may copy the same streams/,
  );
  // Nested prefixes overlap: orders- holds every orders-eu- stream.
  assert.deepEqual(
    problems({
      nodes,
      links: [
        { name: 'one', origin: 'a', destination: 'b', filter: { includeStreamPrefixes: ['orders-'] } },
        { name: 'two', origin: 'a', destination: 'b', filter: { includeStreamPrefixes: ['orders-'] } },
      ],
    }).length,
    1,
  );
});
