import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { jsonEvent } from '@eventstore/db-client';
import { resolveConfig } from '../../src/config/load-config.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/observability/logger.js';
import { eventually } from '../helpers/daemon-process.js';
import { startNodes, uniqueName } from '../helpers/nodes.js';
import { appendJson, compareStreams, readCheckpoint, streamLength } from '../helpers/stream-compare.js';

test('daemon: a link halted on a conflict is reported and the other links keep running', async (t) => {
  const [dc1, dc2, dc3] = await startNodes(['dc1', 'dc2', 'dc3']);
  t.after(() => Promise.all([dc1!.stop(), dc2!.stop(), dc3!.stop()]));
  const origin = dc1!.client();
  const halted = dc2!.client();
  const healthy = dc3!.client();
  const id = uniqueName('daemon');
  const conflicted = `${id}-conflicted`;
  await origin.appendToStream(conflicted, [jsonEvent({ id: randomUUID(), type: 'T', data: { side: 'origin' } })]);
  await halted.appendToStream(conflicted, [jsonEvent({ id: randomUUID(), type: 'T', data: { side: 'dc2' } })]);
  await appendJson(origin, `${id}-a`, 30);
  await appendJson(origin, `${id}-b`, 12);

  const withCredentials = (cs: string): string => cs.replace('esdb://', 'esdb://ops:hunter2@');
  const filter = { includeStreamPrefixes: [`${id}-`] };
  const config = resolveConfig(
    {
      nodes: [
        { name: 'dc1', connectionString: dc1!.connectionString },
        { name: 'dc2', connectionString: dc2!.connectionString },
        { name: 'dc3', connectionString: withCredentials(dc3!.connectionString) },
      ],
      links: [
        { name: `${id}-halts`, origin: 'dc1', destination: 'dc2', conflicts: 'halt', filter },
        { name: `${id}-copies`, origin: 'dc1', destination: 'dc3', filter },
      ],
      http: { port: 0 },
      shutdownGraceMs: 5_000,
    },
    { env: {} },
  );
  const daemon = new Daemon({ config, logger: silentLogger(), collectDefaultMetrics: false, monitorIntervalMs: 100 });
  t.after(async () => {
    await daemon.stop();
  });
  const failures: string[] = [];
  daemon.onLinkFailure((f) => failures.push(f.link));
  await daemon.start();
  assert.equal(daemon.state, 'running');

  await eventually(() => failures.length > 0, 30_000, 'the conflicting link to fail');
  assert.deepEqual(failures, [`${id}-halts`]);
  await eventually(
    async () => (await streamLength(healthy, `${id}-a`)) === 30 && (await streamLength(healthy, `${id}-b`)) === 12,
    30_000,
    'the healthy link to copy',
  );
  await appendJson(origin, `${id}-b`, 5); // live events still flow on the healthy link
  await eventually(async () => (await streamLength(healthy, `${id}-b`)) === 17, 30_000, 'live copy');

  const status = daemon.status();
  assert.equal(status.ready, false, 'a failed link makes the daemon not ready');
  const byName = new Map(status.links.map((l) => [l.name, l]));
  assert.equal(byName.get(`${id}-halts`)?.state, 'failed');
  assert.equal(byName.get(`${id}-copies`)?.state, 'running');
  assert.ok(
    status.recentErrors.some((e) => e.link === `${id}-halts`),
    'the failure is among the recent errors',
  );
  assert.ok(!JSON.stringify(status).includes('hunter2'), 'status never shows credentials');
  assert.ok(
    status.nodes.some((n) => n.name === 'dc3' && n.connectionString.includes('***')),
    'connection strings are redacted',
  );

  const url = daemon.httpUrl;
  assert.ok(url, 'the HTTP server listens');
  const ready = await fetch(new URL('/health/ready', url));
  assert.equal(ready.status, 503);
  const api = await fetch(new URL('/api/status', url));
  const text = await api.text();
  assert.ok(!text.includes('hunter2'));

  const report = await daemon.stop();
  assert.deepEqual(report.drainTimedOut, []);
  assert.equal(daemon.state, 'stopped');
  assert.equal(await daemon.stop(), report, 'stop is memoized');
  assert.deepEqual(await compareStreams(origin, healthy, [`${id}-a`, `${id}-b`, conflicted]), []);
  assert.ok(await readCheckpoint(healthy, `${id}-copies`), 'the healthy link checkpointed on stop');
  await assert.rejects(fetch(new URL('/health/live', url)), 'the HTTP server is closed after stop');
});
