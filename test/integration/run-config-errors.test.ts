import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChildTracker, exitWithin, writeTempConfig } from '../helpers/daemon-process.js';

test('run with a bad config exits 1 with one line per problem naming the key path, no stack', async (t) => {
  const children = new ChildTracker();
  t.after(() => children.killAll());
  const config = await writeTempConfig({
    nodes: [
      { name: 'dc1', connectionString: 'esdb://127.0.0.1:1?tls=false' },
      { name: 'dc2', connectionString: 'esdb://127.0.0.1:2?tls=false' },
    ],
    links: [{ origin: 'dc1', destination: 'dc2', conflicts: 'explode', lanes: 0 }],
  });
  t.after(() => config.remove());

  const p = children.spawn(['run', '--config', config.path]);
  const exit = await exitWithin(p, 20_000, 'run with a bad config');
  assert.deepEqual(exit, { code: 1, signal: null });
  const err = p.stderr();
  assert.match(err, /links\[0\]\.conflicts/);
  assert.match(err, /explode/);
  assert.match(err, /links\[0\]\.lanes/);
  assert.doesNotMatch(err, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
  assert.equal(p.stdout(), '', 'nothing started, nothing logged');
});

test('run with an unreadable config file exits 1 naming the file', async (t) => {
  const children = new ChildTracker();
  t.after(() => children.killAll());
  const missing = `./does-not-exist-${process.pid}.yaml`;
  const p = children.spawn(['run', '--config', missing]);
  const exit = await exitWithin(p, 20_000, 'run with a missing file');
  assert.deepEqual(exit, { code: 1, signal: null });
  assert.match(p.stderr(), /does-not-exist/);
});

test('run without --config is a usage error: exit 2', async (t) => {
  const children = new ChildTracker();
  t.after(() => children.killAll());
  const p = children.spawn(['run']);
  const exit = await exitWithin(p, 20_000, 'run without --config');
  assert.deepEqual(exit, { code: 2, signal: null });
  assert.match(p.stderr(), /--config/);
});

test('run --timeout without --until-caught-up is a usage error: exit 2', async (t) => {
  const children = new ChildTracker();
  t.after(() => children.killAll());
  const config = await writeTempConfig({ nodes: [] });
  t.after(() => config.remove());
  const p = children.spawn(['run', '--config', config.path, '--timeout', '5s']);
  const exit = await exitWithin(p, 20_000, 'run --timeout alone');
  assert.deepEqual(exit, { code: 2, signal: null });
  assert.match(p.stderr(), /--timeout/);
});
