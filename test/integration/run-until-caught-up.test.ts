import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { jsonEvent } from '@eventstore/db-client';
import { ChildTracker, exitWithin, writeTempConfig } from '../helpers/daemon-process.js';
import { startEmulator } from '../../src/emulator/index.js';
import { startNodes, uniqueName } from '../helpers/nodes.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { appendJson, compareStreams, readCheckpoint, readStreamEvents } from '../helpers/stream-compare.js';

const EXIT_LINK_FAILED = 3;
const EXIT_TIMEOUT = 4;

function configFor(nodes: { name: string; connectionString: string }[], link: Record<string, unknown>): unknown {
  return {
    nodes,
    links: [link],
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: 5_000,
  };
}

test('run --until-caught-up copies what the origin held at start and exits 0', async (t) => {
  const children = new ChildTracker();
  const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
  t.after(async () => {
    await children.killAll();
    await Promise.all([dc1!.stop(), dc2!.stop()]);
  });
  const origin = dc1!.client();
  const destination = dc2!.client();
  const link = uniqueName('catchup');
  const streams = Array.from({ length: 20 }, (_, i) => `${link}-s${i}`);
  for (const [i, s] of streams.entries()) await appendJson(origin, s, 1 + (i % 7) * 13, 100 + i * 50);

  const config = await writeTempConfig(
    configFor(
      [
        { name: 'dc1', connectionString: dc1!.connectionString },
        { name: 'dc2', connectionString: dc2!.connectionString },
      ],
      { name: link, origin: 'dc1', destination: 'dc2', filter: { includeStreamPrefixes: [`${link}-`] } },
    ),
  );
  t.after(() => config.remove());

  const p = children.spawn(['run', '--config', config.path, '--until-caught-up']);
  const exit = await exitWithin(p, 60_000, 'run --until-caught-up');
  assert.deepEqual(exit, { code: 0, signal: null }, `stdout:\n${p.stdout().slice(-4000)}\nstderr:\n${p.stderr()}`);
  assert.deepEqual(await compareStreams(origin, destination, streams), []);
  const verified = await compareNodes(origin, destination, { includeStreamPrefixes: [`${link}-`] });
  assert.deepEqual(verified.differences, []);
  assert.equal(verified.streamsCompared, streams.length);
  assert.ok(await readCheckpoint(destination, link), 'checkpoint written on the way out');
  assert.ok(
    p.logs().some((l) => l.msg === 'link caught up' && l.link === link),
    'logs that the link caught up',
  );
});

test('run --until-caught-up exits 3 when its link halts on a conflict', async (t) => {
  const children = new ChildTracker();
  const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
  t.after(async () => {
    await children.killAll();
    await Promise.all([dc1!.stop(), dc2!.stop()]);
  });
  const origin = dc1!.client();
  const destination = dc2!.client();
  const link = uniqueName('halt');
  const stream = `${link}-order`;
  // Both sides wrote the same stream: revision 0 holds different events.
  await origin.appendToStream(stream, [jsonEvent({ id: randomUUID(), type: 'Placed', data: { side: 'origin' } })]);
  await destination.appendToStream(stream, [
    jsonEvent({ id: randomUUID(), type: 'Placed', data: { side: 'destination' } }),
  ]);

  const config = await writeTempConfig(
    configFor(
      [
        { name: 'dc1', connectionString: dc1!.connectionString },
        { name: 'dc2', connectionString: dc2!.connectionString },
      ],
      {
        name: link,
        origin: 'dc1',
        destination: 'dc2',
        conflicts: 'halt',
        filter: { includeStreamPrefixes: [`${link}-`] },
      },
    ),
  );
  t.after(() => config.remove());

  const p = children.spawn(['run', '--config', config.path, '--until-caught-up']);
  const exit = await exitWithin(p, 60_000, 'run --until-caught-up with a conflict');
  assert.deepEqual(exit, { code: EXIT_LINK_FAILED, signal: null }, `stdout:\n${p.stdout().slice(-4000)}`);
  const destEvents = await readStreamEvents(destination, stream);
  assert.equal(destEvents.length, 1, 'the conflicting destination event is left alone');
  assert.ok(
    p.logs().some((l) => l.level === 'error' && l.link === link),
    'an error line names the link',
  );
});

test('run --until-caught-up --timeout exits 4 while an origin stays unreachable, naming the node', async (t) => {
  const children = new ChildTracker();
  const [dc2] = await startNodes(['dc2']);
  // A port that was listening a moment ago and is closed now: connection refused.
  const gone = await startEmulator({ port: 0 });
  const goneConnection = gone.connectionString.replace('esdb://', 'esdb://admin:s3cret@');
  await gone.stop();
  t.after(async () => {
    await children.killAll();
    await dc2!.stop();
  });
  const link = uniqueName('unreachable');
  const config = await writeTempConfig(
    configFor(
      [
        { name: 'gone', connectionString: goneConnection },
        { name: 'dc2', connectionString: dc2!.connectionString },
      ],
      { name: link, origin: 'gone', destination: 'dc2' },
    ),
  );
  t.after(() => config.remove());

  const p = children.spawn(['run', '--config', config.path, '--until-caught-up', '--timeout', '3s']);
  const exit = await exitWithin(p, 30_000, 'run --until-caught-up --timeout 3s');
  assert.deepEqual(exit, { code: EXIT_TIMEOUT, signal: null }, `stdout:\n${p.stdout().slice(-4000)}`);
  assert.ok(
    p.logs().some((l) => l.node === 'gone' && String(l.msg).includes('cannot read the end of $all on node gone')),
    'a warning names the unreachable node',
  );
  assert.ok(!p.stdout().includes('s3cret') && !p.stderr().includes('s3cret'), 'the password never reaches the output');
});
