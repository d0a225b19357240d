import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/config/config-types.js';
import { isLinkerError } from '../../src/shared/errors.js';

const dc1 = { name: 'dc1', connectionString: 'esdb://127.0.0.1:2113?tls=false' };
const dc2 = { name: 'dc2', connectionString: 'esdb://127.0.0.1:2114?tls=false' };
const base = () => ({ nodes: [dc1, dc2], links: [{ origin: 'dc1', destination: 'dc2', conflicts: 'stream' }] });

function problemsOf(raw: unknown, env: Record<string, string> = {}): ConfigProblem[] {
  try {
    resolveConfig(raw, { env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.ok(isLinkerError(err, 'ESDBL_CONFIG_INVALID'));
    return [...err.problems];
  }
  assert.fail('expected the config to be rejected');
}

function lines(problems: ConfigProblem[]): string[] {
  return problems.map((p) => `${p.path}: ${p.message}`);
}

test('the original minimal shape resolves with every documented default', () => {
  const config = resolveConfig(base(), { env: {} });
  assert.deepEqual(config.nodes, [dc1, dc2]);
  assert.equal(config.links.length, 1);
  assert.deepEqual(config.links[0], {
    name: 'dc1-to-dc2',
    origin: 'dc1',
    destination: 'dc2',
    conflicts: 'stream',
    ordering: 'stream',
    annotate: true,
    replicateTombstones: true,
    streamPrefix: '',
    filter: {
      includeStreamPrefixes: [],
      includeStreamRegex: undefined,
      excludeStreamPrefixes: [],
      excludeStreamRegex: undefined,
      includeEventTypeRegex: undefined,
      excludeEventTypeRegex: undefined,
      includeMetadata: [],
      excludeMetadata: [],
      localOnly: false,
      fromNodes: [],
    },
    batch: { adaptive: true, minEvents: 1, initialEvents: 50, maxEvents: 500, maxBytes: 900_000 },
    lanes: 16,
    buffer: { maxEvents: 50_000, maxBytes: 32 * 1024 * 1024 },
    readerThread: 'auto',
    checkpointIntervalMs: 1000,
    retry: { initialDelayMs: 100, maxDelayMs: 10_000 },
    stallTimeoutMs: 30_000,
  });
  assert.equal(config.http, null);
  assert.deepEqual(config.log, { level: 'info', format: 'auto' });
  assert.equal(config.shutdownGraceMs, 10_000);
  assert.deepEqual(config.warnings, []);
});

test('the resolved config is deep-frozen', () => {
  const config = resolveConfig(base(), { env: {} });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.links[0]?.batch));
  assert.ok(Object.isFrozen(config.links[0]?.filter.includeStreamPrefixes));
  assert.ok(Object.isFrozen(config.nodes[0]));
  assert.throws(() => {
    (config.links[0] as { lanes: number }).lanes = 3;
  }, TypeError);
});

test('the input object is not modified and not shared with the result', () => {
  const raw = { ...base(), defaults: { filter: { includeStreamPrefixes: ['a-'] } } };
  const config = resolveConfig(raw, { env: {} });
  assert.ok(!Object.isFrozen(raw.defaults.filter.includeStreamPrefixes));
  raw.defaults.filter.includeStreamPrefixes.push('b-');
  assert.deepEqual(config.links[0]?.filter.includeStreamPrefixes, ['a-']);
});

test('every problem is reported at once, each naming the key path and the bad value', () => {
  const raw = {
    nodes: [dc1, dc2],
    links: [
      { origin: 'dc1', destination: 'dc2' },
      { origin: 'dc2', destination: 'dc1', conflicts: 'ignore', lanes: 0, ordering: 7 },
    ],
    log: { level: 'loud' },
    shutdownGraceMs: 'soon',
  };
  const out = lines(problemsOf(raw));
  assert.deepEqual(out, [
    'links[1].conflicts: must be one of "metadata", "stream", "halt", got "ignore"',
    'links[1].lanes: must be between 1 and 1024, got 0',
    'links[1].ordering: must be a string, got 7',
    'log.level: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
    'shutdownGraceMs: must be a whole number, got "soon"',
  ]);
});

test('the error message lists every problem, one per line', () => {
  try {
    resolveConfig(
      { nodes: [dc1, dc2], links: [{ origin: 'dc1', destination: 'dc2', conflicts: 'x', lanes: -1 }] },
      { env: {} },
    );
    assert.fail('expected rejection');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const msgLines = err.message.split('\n');
    assert.match(msgLines[0] ?? '', /invalid config \(2 problems\)/);
    assert.match(msgLines[1] ?? '', /links\[0\]\.conflicts: must be one of/);
    assert.match(msgLines[2] ?? '', /links\[0\]\.lanes: must be between 1 and 1024, got -1/);
    assert.equal(err.code, 'ESDBL_CONFIG_INVALID');
  }
});

test('unknown keys are rejected at every level, with a suggestion for close names', () => {
  const raw = {
    ...base(),
    nodez: [],
    links: [
      { origin: 'dc1', destination: 'dc2', conflict: 'halt', batch: { maxByte: 10 }, filter: { excludePrefixes: [] } },
    ],
    http: { prot: 1 },
  };
  const out = lines(problemsOf(raw));
  assert.ok(out.includes('nodez: unknown key (did you mean "nodes"?)'), out.join('\n'));
  assert.ok(out.includes('links[0].conflict: unknown key (did you mean "conflicts"?)'), out.join('\n'));
  assert.ok(out.includes('links[0].batch.maxByte: unknown key (did you mean "maxBytes"?)'), out.join('\n'));
  assert.ok(out.includes('http.prot: unknown key (did you mean "port"?)'), out.join('\n'));
  const far = out.find((l) => l.startsWith('links[0].filter.excludePrefixes'));
  assert.match(far ?? '', /unknown key; allowed here: includeStreamPrefixes, .*excludeStreamPrefixes/);
});

test('required keys and the top-level shape are checked', () => {
  assert.deepEqual(lines(problemsOf(null)), [
    ': the config is empty: expected a mapping with "nodes" and "links" or "topology"',
  ]);
  assert.deepEqual(lines(problemsOf([1, 2])), [': must be a mapping, got a list']);
  const out = lines(problemsOf({ nodes: [dc1, dc2], links: [{ origin: 'dc1' }] }));
  assert.deepEqual(out, ['links[0]: missing required key "destination"']);
  const noLinks = lines(problemsOf({ nodes: [dc1, dc2] }));
  assert.deepEqual(noLinks, [': no links: add "links" or "topology" (a preset that expands into links)']);
  const oneNode = lines(problemsOf({ nodes: [dc1], links: [] }));
  assert.ok(oneNode.includes('nodes: must list at least 2 entries, got 1'), oneNode.join('\n'));
});

test('batch, retry and buffer ranges are enforced, including relations between keys', () => {
  const out = lines(
    problemsOf({
      ...base(),
      links: [
        { origin: 'dc1', destination: 'dc2', batch: { maxBytes: 1_048_576 } },
        { name: 'b', origin: 'dc1', destination: 'dc2', streamPrefix: 'x.', batch: { minEvents: 100 } },
        { name: 'c', origin: 'dc1', destination: 'dc2', streamPrefix: 'y.', retry: { initialDelayMs: 20_000 } },
        { name: 'd', origin: 'dc1', destination: 'dc2', streamPrefix: 'z.', batch: { initialEvents: 2.5 } },
      ],
    }),
  );
  assert.deepEqual(out, [
    'links[0].batch.maxBytes: must be between 1024 and 983040, got 1048576',
    'links[3].batch.initialEvents: must be a whole number, got 2.5',
    'links[1].batch.minEvents: batch sizes must satisfy minEvents <= initialEvents <= maxEvents, got minEvents 100, initialEvents 50, maxEvents 500',
    'links[2].retry.initialDelayMs: retry.initialDelayMs (20000) must be <= retry.maxDelayMs (10000)',
  ]);
});

test('cross-key checks see values layered from defaults and point at where they were set', () => {
  const out = lines(
    problemsOf({ ...base(), defaults: { batch: { maxEvents: 10 } }, links: [{ origin: 'dc1', destination: 'dc2' }] }),
  );
  assert.deepEqual(out, [
    'defaults.batch.maxEvents: batch sizes must satisfy minEvents <= initialEvents <= maxEvents, got minEvents 1, initialEvents 50, maxEvents 10',
  ]);
});

test('regular expressions must compile', () => {
  const out = lines(
    problemsOf({
      ...base(),
      links: [
        { origin: 'dc1', destination: 'dc2', filter: { includeStreamRegex: '^orders-(', excludeEventTypeRegex: '' } },
      ],
    }),
  );
  assert.equal(out.length, 2, out.join('\n'));
  assert.match(
    out[0] ?? '',
    /^links\[0\]\.filter\.includeStreamRegex: is not a valid regular expression: "\^orders-\(" \(/,
  );
  assert.equal(out[1], 'links[0].filter.excludeEventTypeRegex: must not be empty');
});

test('node names must be usable in stream names and unique', () => {
  const out = lines(
    problemsOf({
      nodes: [
        dc1,
        { ...dc2, name: 'dc 2' },
        { ...dc2, name: 'dc1' },
        { name: 'dc/3', connectionString: 'esdb://127.0.0.1:1' },
      ],
      links: [{ origin: 'dc1', destination: 'dc 2' }],
    }),
  );
  assert.ok(out.includes('nodes[1].name: must use letters, digits, ".", "_" and "-" only, got "dc 2"'), out.join('\n'));
  assert.ok(out.includes('nodes[3].name: must use letters, digits, ".", "_" and "-" only, got "dc/3"'), out.join('\n'));
  assert.ok(out.includes('nodes[2].name: duplicate node name "dc1" (also nodes[0])'), out.join('\n'));
  // The link to the badly named node is not reported a second time as an unknown node.
  assert.ok(!out.some((l) => l.includes('unknown node')), out.join('\n'));
});

test('link names default to origin-to-destination, accept placeholders, and must be unique', () => {
  const config = resolveConfig(
    {
      nodes: [dc1, dc2],
      links: [
        { origin: 'dc1', destination: 'dc2' },
        { name: 'copy-{origin}-{destination}-b', origin: 'dc1', destination: 'dc2', streamPrefix: 'b.' },
      ],
    },
    { env: {} },
  );
  assert.deepEqual(
    config.links.map((l) => l.name),
    ['dc1-to-dc2', 'copy-dc1-dc2-b'],
  );
  const out = lines(
    problemsOf({
      nodes: [dc1, dc2],
      links: [
        { origin: 'dc1', destination: 'dc2' },
        { origin: 'dc1', destination: 'dc2', streamPrefix: 'x.' },
        { name: 'bad name', origin: 'dc2', destination: 'dc1' },
        { name: '{who}', origin: 'dc2', destination: 'dc1', streamPrefix: 'q.' },
      ],
    }),
  );
  assert.deepEqual(out, [
    'links[2].name: expands to "bad name"; link names may use letters, digits, ".", "_" and "-" only',
    'links[3].name: unknown placeholder {who}; only {origin} and {destination} are replaced',
    'links[1]: link name "dc1-to-dc2" (dc1 -> dc2) is already used by links[0] (dc1 -> dc2); set a distinct "name" (names the checkpoint stream)',
  ]);
});

test('http: absent means no endpoint; present gets defaults; numbers and tokens validated', () => {
  assert.equal(resolveConfig(base(), { env: {} }).http, null);
  assert.deepEqual(resolveConfig({ ...base(), http: {} }, { env: {} }).http, {
    host: '127.0.0.1',
    port: 8113,
    token: undefined,
  });
  assert.deepEqual(resolveConfig({ ...base(), http: { port: 0, token: 's3cret' } }, { env: {} }).http, {
    host: '127.0.0.1',
    port: 0,
    token: 's3cret',
  });
  const out = lines(problemsOf({ ...base(), http: { port: 70000, token: '' } }));
  assert.deepEqual(out, ['http.port: must be between 0 and 65535, got 70000', 'http.token: must not be empty']);
  const both = lines(problemsOf({ ...base(), http: { token: 'a', tokenFile: 'b' } }));
  assert.ok(both.includes('http: sets both token and tokenFile; keep one'), both.join('\n'));
});

test('an exposed HTTP endpoint without a token is a warning', () => {
  const config = resolveConfig({ ...base(), http: { host: '0.0.0.0' } }, { env: {} });
  assert.equal(config.warnings.length, 1);
  assert.equal(config.warnings[0]?.path, 'http.host');
  assert.match(config.warnings[0]?.message ?? '', /without a token/);
  assert.equal(resolveConfig({ ...base(), http: { host: '0.0.0.0', token: 't' } }, { env: {} }).warnings.length, 0);
});

test('contradictory but workable sizes are warnings, not errors', () => {
  const config = resolveConfig(
    { ...base(), defaults: { buffer: { maxEvents: 100 }, stallTimeoutMs: 5000 } },
    { env: {} },
  );
  assert.deepEqual(
    config.warnings.map((w) => w.path),
    ['defaults.buffer.maxEvents', 'defaults.stallTimeoutMs'],
  );
});

test('unused nodes are a warning', () => {
  const config = resolveConfig(
    { nodes: [dc1, dc2, { name: 'spare', connectionString: 'esdb://127.0.0.1:2115' }], links: base().links },
    { env: {} },
  );
  assert.deepEqual(lines([...config.warnings]), ['nodes[2]: node "spare" is not used by any link']);
});

test('stream prefixes expand placeholders and may not write system streams', () => {
  const config = resolveConfig(
    {
      nodes: [dc1, dc2],
      links: [{ origin: 'dc1', destination: 'dc2', streamPrefix: 'from-{origin}-to-{destination}.' }],
    },
    { env: {} },
  );
  assert.equal(config.links[0]?.streamPrefix, 'from-dc1-to-dc2.');
  const out = lines(
    problemsOf({ nodes: [dc1, dc2], links: [{ origin: 'dc1', destination: 'dc2', streamPrefix: '$x-' }] }),
  );
  assert.deepEqual(out, [
    'links[0].streamPrefix: expands to "$x-"; a prefix starting with "$" would write system streams',
  ]);
});
