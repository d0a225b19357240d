import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { jsonEvent } from '@eventstore/db-client';
import { ChildTracker, exitWithin, writeTempConfig } from '../helpers/daemon-process.js';
import { startNodes, uniqueName } from '../helpers/nodes.js';

test('run (daemon mode) exits 3 on its own once every link has failed', async (t) => {
  const children = new ChildTracker();
  const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
  t.after(async () => {
    await children.killAll();
    await Promise.all([dc1!.stop(), dc2!.stop()]);
  });
  const link = uniqueName('allfail');
  const stream = `${link}-s`;
  await dc1!.client().appendToStream(stream, [jsonEvent({ id: randomUUID(), type: 'T', data: { side: 'dc1' } })]);
  await dc2!.client().appendToStream(stream, [jsonEvent({ id: randomUUID(), type: 'T', data: { side: 'dc2' } })]);
  const config = await writeTempConfig({
    nodes: [
      { name: 'dc1', connectionString: dc1!.connectionString },
      { name: 'dc2', connectionString: dc2!.connectionString },
    ],
    links: [
      {
        name: link,
        origin: 'dc1',
        destination: 'dc2',
        conflicts: 'halt',
        filter: { includeStreamPrefixes: [`${link}-`] },
      },
    ],
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: 5_000,
  });
  t.after(() => config.remove());

  const p = children.spawn(['run', '--config', config.path]);
  const exit = await exitWithin(p, 60_000, 'run with a link that halts');
  assert.deepEqual(exit, { code: 3, signal: null }, `stdout:\n${p.stdout().slice(-4000)}`);
  assert.ok(
    p.logs().some((l) => l.msg === 'every link failed: stopping'),
    'says why it stops',
  );
  assert.ok(
    p.logs().some((l) => l.level === 'error' && l.link === link && typeof l.code === 'string'),
    'the failure is logged with the link and a code',
  );
});
