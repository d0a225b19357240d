import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, nodeEnvVar, redactConfig, resolveConfig } from '../../src/config/index.js';

const SECRET = 'hunter2-s3cret';
const withCreds = (port: number) => `esdb://ops:${SECRET}@127.0.0.1:${port}?tls=false`;
const plain = (port: number) => `esdb://127.0.0.1:${port}?tls=false`;
const twoNodes = (a: Record<string, unknown>, b: Record<string, unknown>) => ({
  nodes: [
    { name: 'dc1', ...a },
    { name: 'dc2', ...b },
  ],
  links: [{ origin: 'dc1', destination: 'dc2' }],
});

function rejection(raw: unknown, options: Parameters<typeof resolveConfig>[1]): ConfigError {
  try {
    resolveConfig(raw, options);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected the config to be rejected');
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-linker-config-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('${VAR} and ${VAR:-default} are replaced in string values', () => {
  const config = resolveConfig(
    {
      ...twoNodes({ connectionString: '${DC1}' }, { connectionString: '${DC2:-esdb://127.0.0.1:2114?tls=false}' }),
      links: [{ origin: 'dc1', destination: 'dc2', streamPrefix: '${PREFIX:-fallback.}', name: 'l-${SUFFIX}' }],
    },
    { env: { DC1: plain(2113), SUFFIX: 'x', PREFIX: '' } },
  );
  assert.equal(config.nodes[0]?.connectionString, plain(2113));
  assert.equal(config.nodes[1]?.connectionString, plain(2114));
  // An empty variable takes the fallback, as in the shell.
  assert.equal(config.links[0]?.streamPrefix, 'fallback.');
  assert.equal(config.links[0]?.name, 'l-x');
});

test('a $ that is not a ${NAME} reference is left alone, and $${...} is a literal', () => {
  const config = resolveConfig(
    {
      ...twoNodes({ connectionString: plain(1) }, { connectionString: plain(2) }),
      links: [
        {
          origin: 'dc1',
          destination: 'dc2',
          filter: { includeStreamRegex: '^orders-.*$', excludeEventTypeRegex: 'x$${NOT_A_VAR}' },
        },
      ],
    },
    { env: {} },
  );
  assert.equal(config.links[0]?.filter.includeStreamRegex, '^orders-.*$');
  assert.equal(config.links[0]?.filter.excludeEventTypeRegex, 'x${NOT_A_VAR}');
});

test('an unset variable without a default is a problem naming the key and the variable', () => {
  const err = rejection(twoNodes({ connectionString: '${MISSING_DC1}' }, { connectionString: plain(2) }), { env: {} });
  assert.deepEqual(
    err.problems.map((p) => `${p.path}: ${p.message}`),
    [
      'nodes[0].connectionString: environment variable MISSING_DC1 is not set (write ${MISSING_DC1:-default} to give a fallback)',
    ],
  );
});

test('numbers and booleans may come from variables; non-numbers are rejected', () => {
  const raw = {
    ...twoNodes({ connectionString: plain(1) }, { connectionString: plain(2) }),
    links: [{ origin: 'dc1', destination: 'dc2', lanes: '${LANES}', annotate: '${ANNOTATE:-true}' }],
    http: { port: '${PORT:-9000}' },
  };
  const config = resolveConfig(raw, { env: { LANES: '8', ANNOTATE: 'false' } });
  assert.equal(config.links[0]?.lanes, 8);
  assert.equal(config.links[0]?.annotate, false);
  assert.equal(config.http?.port, 9000);
  const err = rejection(raw, { env: { LANES: 'many' } });
  assert.deepEqual(
    err.problems.map((p) => `${p.path}: ${p.message}`),
    ['links[0].lanes: must be a whole number, got "many"'],
  );
  // A literal string is not a number: only interpolated strings are converted.
  const literal = rejection({ ...raw, links: [{ origin: 'dc1', destination: 'dc2', lanes: '8' }] }, { env: {} });
  assert.deepEqual(
    literal.problems.map((p) => p.path),
    ['links[0].lanes'],
  );
});

test('ESDB_LINKER_NODE_<NAME>_CONNECTION_STRING overrides the file, with the name upper-cased and sanitised', () => {
  assert.equal(nodeEnvVar('dc-1.eu'), 'ESDB_LINKER_NODE_DC_1_EU_CONNECTION_STRING');
  const raw = {
    nodes: [
      { name: 'dc-1.eu', connectionString: plain(1) },
      { name: 'dc2', connectionStringFile: 'does-not-exist' },
    ],
    links: [{ origin: 'dc-1.eu', destination: 'dc2' }],
  };
  const config = resolveConfig(raw, {
    env: { ESDB_LINKER_NODE_DC_1_EU_CONNECTION_STRING: plain(7), ESDB_LINKER_NODE_DC2_CONNECTION_STRING: plain(8) },
  });
  assert.deepEqual(
    config.nodes.map((n) => n.connectionString),
    [plain(7), plain(8)],
  );
});

test('an override variable that matches no node is a warning', () => {
  const config = resolveConfig(twoNodes({ connectionString: plain(1) }, { connectionString: plain(2) }), {
    env: { ESDB_LINKER_NODE_DC3_CONNECTION_STRING: plain(3) },
  });
  assert.deepEqual(
    config.warnings.map((w) => `${w.path}: ${w.message}`),
    ['environment variable ESDB_LINKER_NODE_DC3_CONNECTION_STRING: matches no node (nodes: dc1, dc2); it is ignored'],
  );
});

test('connectionStringFile reads a trimmed secret, relative to baseDir', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'dc1.secret'), `  ${withCreds(2113)}\n\n`);
  const config = resolveConfig(
    twoNodes({ connectionStringFile: 'dc1.secret' }, { connectionStringFile: join(dir, 'dc1.secret') }),
    { env: {}, baseDir: dir },
  );
  assert.equal(config.nodes[0]?.connectionString, withCreds(2113));
  assert.equal(config.nodes[1]?.connectionString, withCreds(2113));
});

test('secret file problems: missing, empty, and both inline and file', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'empty'), ' \n');
  const err = rejection(
    {
      nodes: [
        { name: 'dc1', connectionStringFile: 'nope' },
        { name: 'dc2', connectionStringFile: 'empty' },
        { name: 'dc3', connectionString: plain(3), connectionStringFile: 'empty' },
        { name: 'dc4' },
      ],
      links: [{ origin: 'dc1', destination: 'dc2' }],
    },
    { env: {}, baseDir: dir },
  );
  const out = err.problems.map((p) => `${p.path}: ${p.message}`);
  assert.deepEqual(out, [
    `nodes[0].connectionStringFile: cannot read "nope" (${join(dir, 'nope')}): no such file (connection string of node "dc1")`,
    `nodes[1].connectionStringFile: "empty" (${join(dir, 'empty')}) is empty (connection string of node "dc2")`,
    'nodes[2]: node "dc3" sets both connectionString and connectionStringFile; keep one',
    'nodes[3]: node "dc4" has no connection string: set connectionString, connectionStringFile or ESDB_LINKER_NODE_DC4_CONNECTION_STRING',
  ]);
});

test('connection strings are checked with the client parser; errors name the node and hide credentials', () => {
  const err = rejection(
    {
      nodes: [
        { name: 'dc1', connectionString: `kurrentdb://ops:${SECRET}@127.0.0.1:2113` },
        { name: 'dc2', connectionString: `esdb://ops:${SECRET}@127.0.0.1:notaport` },
        { name: 'dc3', connectionString: `http://ops:${SECRET}@127.0.0.1:2113` },
        { name: 'dc4', connectionString: `127.0.0.1:2113` },
        { name: 'dc5', connectionString: `esdb://ops:${SECRET}@127.0.0.1:2113?nodePreference=sideways` },
      ],
      links: [{ origin: 'dc1', destination: 'dc2' }],
    },
    { env: {} },
  );
  const out = err.problems.map((p) => `${p.path}: ${p.message}`);
  assert.deepEqual(out, [
    'nodes[0].connectionString: "kurrentdb://***:***@127.0.0.1:2113" for node "dc1" uses the kurrentdb:// scheme, which @eventstore/db-client 6.2.1 does not understand; write esdb:// (or esdb+discover:// for gossip discovery) with the same hosts and options',
    `nodes[1].connectionString: "esdb://***:***@127.0.0.1:notaport" for node "dc2" is not a valid connection string (the client's parser expected port number)`,
    'nodes[2].connectionString: "http://***:***@127.0.0.1:2113" for node "dc3" must start with esdb:// or esdb+discover://, not http://',
    'nodes[3].connectionString: "127.0.0.1:2113" for node "dc4" must start with esdb:// or esdb+discover://',
    `nodes[4].connectionString: "esdb://***:***@127.0.0.1:2113?nodePreference=sideways" for node "dc5" is not a valid connection string (the client's parser expected leader or follower or read_only_replica or random)`,
  ]);
  assert.ok(!err.message.includes(SECRET), err.message);
  assert.ok(!JSON.stringify(err.details).includes(SECRET));
});

test('both esdb:// and esdb+discover:// are accepted; unknown options are a warning without credentials', () => {
  const originalWarn = console.warn;
  const config = resolveConfig(
    twoNodes(
      { connectionString: `esdb+discover://ops:${SECRET}@db1.internal:2113,db2.internal:2113?tls=true` },
      { connectionString: `esdb://ops:${SECRET}@127.0.0.1:2113?tls=false&colour=blue` },
    ),
    { env: {} },
  );
  assert.equal(config.warnings.length, 1);
  assert.equal(config.warnings[0]?.path, 'nodes[1].connectionString');
  assert.match(config.warnings[0]?.message ?? '', /ignores the unknown option "colour"/);
  assert.ok(!JSON.stringify(config.warnings).includes(SECRET));
  // The client's parser warns through console.warn (with the full string); validation captures and restores it.
  assert.equal(console.warn, originalWarn);
});

test('credentials never appear in problems, whatever key they are misplaced in', () => {
  const err = rejection(
    {
      nodes: [
        { name: 'dc1', connectionString: withCreds(1) },
        { name: 'dc2', connectionString: withCreds(2) },
      ],
      links: [{ origin: 'dc1', destination: 'dc2', streamPrefix: 42, conflicts: withCreds(3) }],
      http: { token: 7, host: withCreds(4) },
    },
    { env: {} },
  );
  assert.ok(err.problems.length >= 2);
  assert.ok(!err.message.includes(SECRET), err.message);
  assert.match(err.message, /links\[0\]\.conflicts: must be one of .*got "esdb:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:3/);
});

test('ESDB_LINKER_HTTP_* and ESDB_LINKER_LOG_* override the file', (t) => {
  const dir = tempDir(t);
  const base = twoNodes({ connectionString: plain(1) }, { connectionString: plain(2) });
  // No http block: the port variable alone turns the endpoint on.
  const on = resolveConfig(base, { env: { ESDB_LINKER_HTTP_PORT: '9100' } });
  assert.deepEqual(on.http, { host: '127.0.0.1', port: 9100, token: undefined });
  const empty = resolveConfig(base, { env: { ESDB_LINKER_HTTP_PORT: '' } });
  assert.equal(empty.http, null);

  writeFileSync(join(dir, 'token'), 'from-file\n');
  const withBlock = { ...base, http: { port: 1, token: 'from-config' }, log: { level: 'warn', format: 'json' } };
  assert.equal(resolveConfig(withBlock, { env: { ESDB_LINKER_HTTP_TOKEN: 'from-env' } }).http?.token, 'from-env');
  assert.equal(
    resolveConfig(withBlock, { env: { ESDB_LINKER_HTTP_TOKEN_FILE: join(dir, 'token') } }).http?.token,
    'from-file',
  );
  const tokenFile = { ...base, http: { tokenFile: 'token' } };
  assert.equal(resolveConfig(tokenFile, { env: {}, baseDir: dir }).http?.token, 'from-file');
  const logged = resolveConfig(withBlock, {
    env: { ESDB_LINKER_LOG_LEVEL: 'DEBUG', ESDB_LINKER_LOG_FORMAT: 'pretty' },
  });
  assert.deepEqual(logged.log, { level: 'debug', format: 'pretty' });

  const err = rejection(withBlock, {
    env: { ESDB_LINKER_HTTP_PORT: '80a', ESDB_LINKER_LOG_LEVEL: 'chatty', ESDB_LINKER_LOG_FORMAT: 'xml' },
  });
  assert.deepEqual(
    err.problems.map((p) => `${p.path}: ${p.message}`),
    [
      'environment variable ESDB_LINKER_HTTP_PORT: must be a port number 0..65535, got "80a"',
      'environment variable ESDB_LINKER_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent, got "chatty"',
      'environment variable ESDB_LINKER_LOG_FORMAT: must be one of json, pretty, auto, got "xml"',
    ],
  );
});

test('redactConfig hides credentials and the token but keeps everything else', () => {
  const config = resolveConfig(
    { ...twoNodes({ connectionString: withCreds(2113) }, { connectionString: plain(2114) }), http: { token: SECRET } },
    { env: {} },
  );
  const shown = JSON.stringify(redactConfig(config));
  assert.ok(!shown.includes(SECRET), shown);
  assert.ok(shown.includes('esdb://***:***@127.0.0.1:2113?tls=false'));
  assert.ok(shown.includes(plain(2114)));
  assert.ok(shown.includes('"token":"***"'));
  // The resolved config itself still carries the real values the daemon needs.
  assert.equal(config.nodes[0]?.connectionString, withCreds(2113));
  assert.equal(config.http?.token, SECRET);
});

test('an unset variable is reported once, not again by the checks that read the value', () => {
  const err = rejection(
    {
      ...twoNodes({ connectionStringFile: '${DC1_FILE}' }, { connectionString: plain(2) }),
      links: [{ origin: 'dc1', destination: 'dc2', streamPrefix: '${PREFIX}', name: '${NAME}' }],
    },
    { env: {} },
  );
  assert.deepEqual(
    err.problems.map((p) => p.path),
    ['nodes[0].connectionStringFile', 'links[0].streamPrefix', 'links[0].name'],
  );
});

test('a token variable without any HTTP endpoint is a warning, not silently dropped', () => {
  const config = resolveConfig(twoNodes({ connectionString: plain(1) }, { connectionString: plain(2) }), {
    env: { ESDB_LINKER_HTTP_TOKEN: SECRET },
  });
  assert.equal(config.http, null);
  assert.deepEqual(
    config.warnings.map((w) => w.path),
    ['environment variable ESDB_LINKER_HTTP_TOKEN'],
  );
  assert.ok(!JSON.stringify(config.warnings).includes(SECRET));
});

test('two node names that map to the same override variable: a warning, an error once it is set', () => {
  const raw = {
    nodes: [
      { name: 'dc-1', connectionString: plain(1) },
      { name: 'dc.1', connectionString: plain(2) },
    ],
    links: [{ origin: 'dc-1', destination: 'dc.1' }],
  };
  const config = resolveConfig(raw, { env: {} });
  assert.deepEqual(
    config.warnings.map((w) => `${w.path}: ${w.message}`),
    [
      'nodes[1].name: nodes "dc-1" and "dc.1" share the override variable ESDB_LINKER_NODE_DC_1_CONNECTION_STRING; rename one',
    ],
  );
  const err = rejection(raw, { env: { ESDB_LINKER_NODE_DC_1_CONNECTION_STRING: plain(3) } });
  assert.deepEqual(
    err.problems.map((p) => p.path),
    ['nodes[1].name'],
  );
});
