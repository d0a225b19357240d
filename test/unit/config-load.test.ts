import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, formatProblem, loadConfig, resolveConfig } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/config/config-types.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-linker-config-load-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function loadProblems(path: string, env: Record<string, string> = {}): Promise<ConfigError> {
  try {
    await loadConfig(path, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail('expected the config to be rejected');
}

const at = (p: ConfigProblem) => `${p.line}:${p.column} ${p.path}: ${p.message}`;

const GOOD_YAML = `# two data centres
nodes:
  - name: dc1
    connectionString: esdb://127.0.0.1:2113?tls=false
  - name: dc2
    connectionString: esdb://127.0.0.1:2114?tls=false
links:
  - origin: dc1
    destination: dc2
    conflicts: stream
`;

test('YAML and JSON files load into the same resolved config', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.yaml'), GOOD_YAML);
  writeFileSync(
    join(dir, 'a.json'),
    JSON.stringify({
      nodes: [
        { name: 'dc1', connectionString: 'esdb://127.0.0.1:2113?tls=false' },
        { name: 'dc2', connectionString: 'esdb://127.0.0.1:2114?tls=false' },
      ],
      links: [{ origin: 'dc1', destination: 'dc2', conflicts: 'stream' }],
    }),
  );
  const fromYaml = await loadConfig(join(dir, 'a.yaml'), {});
  const fromJson = await loadConfig(join(dir, 'a.json'), {});
  assert.deepEqual(fromYaml, fromJson);
  assert.equal(fromYaml.links[0]?.name, 'dc1-to-dc2');
  assert.ok(Object.isFrozen(fromYaml));
});

test('problems in a YAML file carry the line and column of the bad value or key', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.yml');
  writeFileSync(
    file,
    GOOD_YAML.replace('conflicts: stream', 'conflicts: ignore\n    lanse: 4\n    batch:\n      maxEvents: 0'),
  );
  const err = await loadProblems(file);
  assert.deepEqual(err.problems.map(at), [
    '10:16 links[0].conflicts: must be one of "metadata", "stream", "halt", got "ignore"',
    '11:5 links[0].lanse: unknown key (did you mean "lanes"?)',
    '13:18 links[0].batch.maxEvents: must be between 1 and 10000, got 0',
  ]);
  assert.equal(err.sourceName, file);
  assert.equal(
    formatProblem(err.problems[0] as ConfigProblem, file),
    `${file}:10:16: links[0].conflicts: must be one of "metadata", "stream", "halt", got "ignore"`,
  );
  assert.match(err.message, /^invalid config .*bad\.yml \(3 problems\)\n {2}.*bad\.yml:10:16: links\[0\]\.conflicts/);
});

test('problems about values filled from elsewhere point at the closest entry in the file', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'c.yaml');
  writeFileSync(file, GOOD_YAML.replace('conflicts: stream', 'batch: { minEvents: 60 }'));
  const err = await loadProblems(file);
  assert.deepEqual(err.problems.map(at), [
    '10:25 links[0].batch.minEvents: batch sizes must satisfy minEvents <= initialEvents <= maxEvents, got minEvents 60, initialEvents 50, maxEvents 500',
  ]);
  const unknownNode = join(dir, 'd.yaml');
  writeFileSync(unknownNode, GOOD_YAML.replace('destination: dc2', 'destination: dc9'));
  const err2 = await loadProblems(unknownNode);
  assert.deepEqual(err2.problems.map(at), [
    '9:18 links[0].destination: unknown node "dc9" (did you mean "dc1"?); nodes are: dc1, dc2',
  ]);
});

test('problems in a JSON file carry line and column', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.json');
  writeFileSync(
    file,
    '{\n  "nodes": [\n    {"name": "dc1", "connectionString": "esdb://127.0.0.1:1"},\n    {"name": "dc2", "connectionString": "esdb://127.0.0.1:2"}\n  ],\n  "links": [{"origin": "dc1", "destination": "dc2", "ordering": "random"}]\n}\n',
  );
  const err = await loadProblems(file);
  assert.deepEqual(err.problems.map(at), ['6:65 links[0].ordering: must be one of "stream", "global", got "random"']);
});

test('broken JSON is reported with the line and column of the first syntax error', async (t) => {
  const dir = tempDir(t);
  const cases: [string, string][] = [
    [
      '{\n  "nodes": [\n    {"name": "a", "connectionString": tru}\n  ]\n}',
      '3:39 : invalid JSON: expected a value, got "tru"',
    ],
    ['{"nodes": [],\n}', `2:1 : invalid JSON: trailing comma before '}' (JSON does not allow it)`],
    ['{"nodes": [1, 2', `1:16 : invalid JSON: expected ',' or ']' after an array element, got the end of the file`],
    ['{"a": 1, "a": 2}', '1:10 : invalid JSON: duplicate key "a"'],
    ['{"a": "line\nbreak"}', '1:12 : invalid JSON: unescaped control character (a raw line break?) in string'],
    ['', '1:1 : invalid JSON: the file is empty: expected a JSON object'],
    ['{"a": 1} x', '1:10 : invalid JSON: unexpected "x" after the end of the JSON value'],
  ];
  for (const [i, [text, expected]] of cases.entries()) {
    const file = join(dir, `broken-${i}.json`);
    writeFileSync(file, text);
    const err = await loadProblems(file);
    assert.deepEqual(err.problems.map(at), [expected], text);
  }
});

test('the JSON parser keeps exotic but valid JSON intact', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ok.json');
  const raw = {
    nodes: [
      { name: 'dc1', connectionString: 'esdb://127.0.0.1:1' },
      { name: 'dc2', connectionString: 'esdb://127.0.0.1:2' },
    ],
    links: [{ origin: 'dc1', destination: 'dc2', streamPrefix: 'é\u00e9\t"q"\\/x', batch: { maxBytes: 1e5 } }],
  };
  writeFileSync(file, `\ufeff${JSON.stringify(raw, null, 2)}`);
  const config = await loadConfig(file, {});
  assert.equal(config.links[0]?.streamPrefix, 'éé\t"q"\\/x');
  assert.equal(config.links[0]?.batch.maxBytes, 100_000);
  // "__proto__" is an ordinary (unknown) key, not a prototype change.
  writeFileSync(file, '{"__proto__": {"x": 1}, "nodes": []}');
  const err = await loadProblems(file);
  assert.ok(
    err.problems.some((p) => p.path === '__proto__' && p.message.startsWith('unknown key')),
    err.message,
  );
});

test('broken YAML is reported with line and column', async (t) => {
  const dir = tempDir(t);
  const cases: [string, RegExp][] = [
    ['nodes:\n  - name: a\n   connectionString: x\n', /^3:\d+ : invalid YAML: /],
    ['nodes: [a, b\nlinks: []\n', /^2:1 : invalid YAML: /],
    ['nodes: []\nnodes: []\n', /^2:1 : invalid YAML: Map keys must be unique/],
    ['a: "unterminated\n', /^\d+:\d+ : invalid YAML: /],
  ];
  for (const [i, [text, expected]] of cases.entries()) {
    const file = join(dir, `broken-${i}.yaml`);
    writeFileSync(file, text);
    const err = await loadProblems(file);
    assert.ok(err.problems.length >= 1);
    assert.match(at(err.problems[0] as ConfigProblem), expected, text);
    assert.ok(!err.message.includes('\n\n'), 'no multi-line excerpt inside a problem');
  }
});

test('an empty YAML file is a clear problem', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'empty.yaml');
  writeFileSync(file, '# nothing here\n');
  const err = await loadProblems(file);
  assert.deepEqual(
    err.problems.map((p) => p.message),
    ['the config is empty: expected a mapping with "nodes" and "links" or "topology"'],
  );
});

test('a missing file is a clear error naming the path', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'nope.yaml');
  const err = await loadProblems(file);
  assert.equal(err.code, 'ESDBL_CONFIG_UNREADABLE');
  assert.equal(err.problems.length, 1);
  assert.equal(err.problems[0]?.message, `cannot read config file ${JSON.stringify(file)}: no such file`);
  const dirErr = await loadProblems(dir);
  assert.match(dirErr.problems[0]?.message ?? '', /it is a directory/);
});

test('relative secret files resolve against the config file directory, not the working directory', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'dc1.cs'), 'esdb://127.0.0.1:2113?tls=false\n');
  writeFileSync(join(dir, 'token'), 'tok\n');
  const file = join(dir, 'secrets.yaml');
  writeFileSync(
    file,
    GOOD_YAML.replace('connectionString: esdb://127.0.0.1:2113?tls=false', 'connectionStringFile: dc1.cs') +
      'http:\n  tokenFile: token\n',
  );
  const config = await loadConfig(file, {});
  assert.equal(config.nodes[0]?.connectionString, 'esdb://127.0.0.1:2113?tls=false');
  assert.equal(config.http?.token, 'tok');
});

test('env interpolation works in files and numbers may come from it', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'env.yaml');
  writeFileSync(
    file,
    GOOD_YAML.replace('esdb://127.0.0.1:2114?tls=false', '${DC2_CS}') + 'http:\n  port: ${PORT:-9999}\n',
  );
  const config = await loadConfig(file, { DC2_CS: 'esdb://127.0.0.1:7777?tls=false' });
  assert.equal(config.nodes[1]?.connectionString, 'esdb://127.0.0.1:7777?tls=false');
  assert.equal(config.http?.port, 9999);
});

test('resolveConfig locates problems in an in-memory config when given its text', () => {
  const text = GOOD_YAML.replace('conflicts: stream', 'conflicts: nope');
  try {
    resolveConfig(
      {
        nodes: [
          { name: 'dc1', connectionString: 'esdb://127.0.0.1:2113?tls=false' },
          { name: 'dc2', connectionString: 'esdb://127.0.0.1:2114?tls=false' },
        ],
        links: [{ origin: 'dc1', destination: 'dc2', conflicts: 'nope' }],
      },
      { env: {}, sourceText: text },
    );
    assert.fail('expected rejection');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems.map(at), [
      '10:16 links[0].conflicts: must be one of "metadata", "stream", "halt", got "nope"',
    ]);
  }
});

test('the message of an unreadable file is the one sentence that names it', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'gone.json');
  const err = await loadProblems(file);
  assert.equal(err.message, `cannot read config file ${JSON.stringify(file)}: no such file`);
});

test('YAML anchors and merge keys work for repeated link options', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'anchors.yaml');
  writeFileSync(
    file,
    GOOD_YAML.replace('    conflicts: stream\n', '    conflicts: &policy halt\n    batch: &big { maxEvents: 900 }\n') +
      '  - <<: { conflicts: *policy, batch: *big }\n    origin: dc2\n    destination: dc1\n',
  );
  const config = await loadConfig(file, {});
  assert.deepEqual(
    config.links.map((l) => [l.name, l.conflicts, l.batch.maxEvents]),
    [
      ['dc1-to-dc2', 'halt', 900],
      ['dc2-to-dc1', 'halt', 900],
    ],
  );
});
