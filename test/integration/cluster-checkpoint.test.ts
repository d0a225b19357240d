import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { TIMINGS } from '../helpers/cluster-scenario.js';
import { ChildTracker, eventually, exitWithin, writeTempConfig } from '../helpers/daemon-process.js';
import { startNodes, uniqueName } from '../helpers/nodes.js';
import { compareStreams, streamLength } from '../helpers/stream-compare.js';

async function append(client: EventStoreDBClient, stream: string, n: number) {
  const events = Array.from({ length: n }, (_, i) => jsonEvent({ type: 'Placed', data: { i } }));
  return client.appendToStream(stream, events);
}

test('checkpoint set and reset reach the owner of a link in a running cluster (KurrentDB coordinator)', async (t) => {
  const children = new ChildTracker();
  t.after(() => children.killAll());
  const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
  t.after(() => Promise.all([dc1!.stop(), dc2!.stop()]));
  const prefix = `${uniqueName('orders')}-`;
  const config = await writeTempConfig({
    nodes: [dc1!, dc2!].map((n) => ({ name: n.name, connectionString: n.connectionString })),
    links: [{ name: 'orders', origin: 'dc1', destination: 'dc2', filter: { includeStreamPrefixes: [prefix] } }],
    cluster: { coordination: 'kurrentdb', node: 'dc2', name: uniqueName('ckpt'), ...TIMINGS },
    http: { port: 0 },
    log: { format: 'json' },
    shutdownGraceMs: 2_000,
  });
  t.after(() => config.remove());
  for (const id of ['m1', 'm2']) {
    const proc = children.spawn(['run', '--config', config.path], { env: { ESDB_LINKER_MEMBER: id } });
    await proc.waitForLog((l) => typeof l.url === 'string', 15_000, `${id} listening`);
  }
  const source = dc1!.client();
  const destination = dc2!.client();
  const [first, skipped, later] = ['1', '2', '3'].map((n) => `${prefix}${n}`) as [string, string, string];
  await append(source, first, 3);
  await eventually(async () => (await streamLength(destination, first)) === 3, 20_000, 'the first stream copied');

  const cli = async (args: string[], what: string) => {
    const proc = children.spawn([...args, '--config', config.path]);
    const exit = await exitWithin(proc, 30_000, what);
    assert.equal(exit.code, 0, `${what}: ${proc.stderr()}`);
    return proc.stdout();
  };

  // Paused, events are written, and the checkpoint is set past them: they are never copied.
  await cli(['link', 'pause', 'orders', '--timeout-ms', '10000'], 'link pause');
  const end = await append(source, skipped, 5);
  const at = `${end.position!.commit}/${end.position!.prepare}`;
  const set = await cli(['checkpoint', 'set', '--link', 'orders', '--position', at, '--timeout-ms', '20000'], 'set');
  assert.match(set, new RegExp(`checkpoint set to ${at} by its owner m[12] \\(was \\d+/\\d+\\)`));
  assert.match(set, /will NOT be copied/);
  await cli(['link', 'resume', 'orders'], 'link resume');
  await append(source, later, 2);
  await eventually(async () => (await streamLength(destination, later)) === 2, 20_000, 'copied after the checkpoint');
  assert.equal(await streamLength(destination, skipped), 0, 'events before the new checkpoint are skipped');

  // Reset on the running link: its owner drains it, writes the start, and the link copies everything again.
  const reset = await cli(['checkpoint', 'reset', '--link', 'orders', '--timeout-ms', '20000'], 'reset');
  assert.match(reset, /checkpoint set to 0\/0 by its owner m[12]/);
  await eventually(
    async () => (await compareStreams(source, destination, [first, skipped, later])).length === 0,
    20_000,
    'every stream exact after the reset (replayed, without duplicates)',
  );
  assert.equal(await streamLength(destination, first), 3, 'the replay added nothing to copied streams');

  // A bad timeout is a usage error that names the flag.
  const bad = children.spawn([
    'checkpoint',
    'reset',
    '--link',
    'orders',
    '--timeout-ms',
    'soon',
    '--config',
    config.path,
  ]);
  assert.equal((await exitWithin(bad, 10_000, 'bad timeout')).code, 2);
  assert.match(bad.stderr(), /--timeout-ms "soon".*ESDBL_TOOLS_BAD_TIMEOUT/);
});
