import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChildTracker, eventually, exitWithin, writeTempConfig } from '../helpers/daemon-process.js';
import { startNodes, uniqueName } from '../helpers/nodes.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { appendJson, compareStreams, lastAllCommit, readCheckpoint, streamLength } from '../helpers/stream-compare.js';

const GRACE_MS = 5_000;

test('run: catch-up then live, SIGTERM drains and exits 0 with a checkpoint, restart resumes without loss or duplicates', async (t) => {
  const children = new ChildTracker();
  const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
  t.after(async () => {
    await children.killAll();
    await Promise.all([dc1!.stop(), dc2!.stop()]);
  });
  const origin = dc1!.client();
  const destination = dc2!.client();
  const link = uniqueName('signals');
  const prefix = `${link}-s`;
  const streams = Array.from({ length: 8 }, (_, i) => `${prefix}${i}`);
  const expected = new Map<string, number>();
  const write = async (perStream: number): Promise<void> => {
    for (const s of streams) {
      await appendJson(origin, s, perStream, 200);
      expected.set(s, (expected.get(s) ?? 0) + perStream);
    }
  };
  const allCopied = async (): Promise<boolean> => {
    for (const [s, n] of expected) if ((await streamLength(destination, s)) < n) return false;
    return true;
  };

  await write(25); // history the daemon must catch up on

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
        checkpointIntervalMs: 200,
        filter: { includeStreamPrefixes: [prefix] },
      },
    ],
    http: { port: 0 },
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: GRACE_MS,
  });
  t.after(() => config.remove());

  const first = children.spawn(['run', '--config', config.path]);
  await first.waitForLog((l) => l.msg === 'running', 20_000, '"running"');
  await eventually(allCopied, 30_000, 'catch-up copy');

  await write(10); // live
  await eventually(allCopied, 30_000, 'live copy');
  const lastCommit = await lastAllCommit(origin);

  first.kill('SIGTERM');
  const exit = await exitWithin(first, GRACE_MS + 3_000, 'daemon after SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null }, `stderr:\n${first.stderr()}`);
  assert.ok(
    first.logs().some((l) => String(l.msg).includes('SIGTERM received')),
    'logs the signal',
  );

  const checkpoint = await readCheckpoint(destination, link);
  assert.ok(checkpoint, 'a checkpoint was written');
  assert.ok(
    lastCommit !== null && BigInt(checkpoint.commit) >= lastCommit,
    `checkpoint ${checkpoint.commit} covers ${lastCommit}`,
  );

  await write(7); // written while the daemon is down

  const second = children.spawn(['run', '--config', config.path]);
  await second.waitForLog((l) => l.msg === 'running', 20_000, '"running" after restart');
  await eventually(allCopied, 30_000, 'copy after restart');
  second.kill('SIGINT');
  const exit2 = await exitWithin(second, GRACE_MS + 3_000, 'daemon after SIGINT');
  assert.deepEqual(exit2, { code: 0, signal: null }, `stderr:\n${second.stderr()}`);

  assert.deepEqual(await compareStreams(origin, destination, streams), []);
  for (const [s, n] of expected) assert.equal(await streamLength(destination, s), n, `${s} length`);
  const verified = await compareNodes(origin, destination, { includeStreamPrefixes: [prefix] });
  assert.deepEqual(verified.differences, []);
  assert.equal(verified.streamsCompared, streams.length);
});

test('run: a second signal during the drain forces the exit (143 for SIGTERM)', async (t) => {
  const children = new ChildTracker();
  const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
  t.after(async () => {
    await children.killAll();
    dc2!.emulator?.faults.reset();
    await Promise.all([dc1!.stop(), dc2!.stop()]);
  });
  if (!dc2!.emulator) {
    t.skip('needs an emulator destination to hang appends');
    return;
  }
  const link = uniqueName('force');
  const config = await writeTempConfig({
    nodes: [
      { name: 'dc1', connectionString: dc1!.connectionString },
      { name: 'dc2', connectionString: dc2!.connectionString },
    ],
    links: [{ name: link, origin: 'dc1', destination: 'dc2', filter: { includeStreamPrefixes: [`${link}-`] } }],
    http: { port: 0 },
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: 60_000,
  });
  t.after(() => config.remove());
  const p = children.spawn(['run', '--config', config.path]);
  await p.waitForLog((l) => l.msg === 'running', 20_000, '"running"');
  // Appends now hang, so the drain has in-flight work it cannot finish within the (long) grace period.
  dc2!.emulator.faults.hangAppends();
  await appendJson(dc1!.client(), `${link}-s`, 5);
  const url = String((await p.waitForLog((l) => typeof l.url === 'string', 20_000, 'the HTTP URL')).url);
  await eventually(
    async () => {
      const status = (await (await fetch(new URL('/api/status', url))).json()) as { links: { lagEvents: number }[] };
      return (status.links[0]?.lagEvents ?? 0) > 0;
    },
    20_000,
    'an append in flight',
  );
  p.kill('SIGTERM');
  await p.waitForLog((l) => String(l.msg).includes('SIGTERM received: draining'), 20_000, 'the drain');
  p.kill('SIGTERM');
  const exit = await exitWithin(p, 20_000, 'daemon after the second SIGTERM');
  assert.deepEqual(exit, { code: 143, signal: null });
  assert.ok(p.logs().some((l) => String(l.msg).includes('received again: exiting without draining')));
});
