import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { jsonEvent } from '@eventstore/db-client';
import { field, launchChromium, waitForChange, watchErrors } from '../helpers/browser.js';
import { uniqueName } from '../helpers/nodes.js';
import { nodesSection, startDaemon, startTopologyNodes, topologyConfig } from '../helpers/topology-daemon.js';

/**
 * End to end: a real daemon over real emulators, with writers on both sides of an active/active pair,
 * and its status page in headless Chromium. The page must show both links and numbers that move because
 * events really flow, and /metrics and /health/ready must agree.
 */
test('the status page of a running daemon shows live replication', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const nodes = await startTopologyNodes(t, ['dc1', 'dc2']);
  const config = topologyConfig({
    nodes: nodesSection(nodes),
    topology: [{ type: 'active-active', nodes: ['dc1', 'dc2'] }],
    http: { host: '127.0.0.1', port: 0 },
  });
  const daemon = await startDaemon(t, config);
  const url = daemon.httpUrl;
  assert.ok(url, 'the daemon listens when http is configured');

  // Writers on both nodes, bounded in count and time, stopped when the test ends.
  const writing = new AbortController();
  t.after(() => writing.abort());
  const streams = { dc1: uniqueName('page-dc1'), dc2: uniqueName('page-dc2') };
  const writers = nodes.map(async (node) => {
    const client = node.client();
    const stream = streams[node.name as 'dc1' | 'dc2'];
    for (let i = 0; i < 600 && !writing.signal.aborted; i++) {
      await client.appendToStream(stream, jsonEvent({ type: 'tick', data: { i } }));
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  t.after(() => page.close());
  const errors = watchErrors(page);
  await page.goto(`${url}/`);
  for (const name of ['dc1-to-dc2', 'dc2-to-dc1']) {
    await field(page, name, 'name').waitFor({ state: 'visible', timeout: 20_000 });
    assert.equal(await field(page, name, 'name').textContent(), name);
  }
  const selector = '[data-link="dc1-to-dc2"] [data-field="eventsReplicated"]';
  const first = (await page.locator(selector).textContent()) ?? '';
  const second = await waitForChange(page, selector, first);
  await waitForChange(page, selector, second);

  const metrics = await (await fetch(`${url}/metrics`)).text();
  const replicated = /esdb_linker_events_replicated_total\{[^}]*link="dc1-to-dc2"[^}]*\} (\d+)/.exec(metrics);
  assert.ok(replicated && Number(replicated[1]) > 0, 'events_replicated_total counts the copies');
  assert.equal((await fetch(`${url}/health/ready`)).status, 200);
  const status = (await (await fetch(`${url}/api/status`)).json()) as { links: { name: string; state: string }[] };
  assert.deepEqual(status.links.map((l) => [l.name, l.state]).sort(), [
    ['dc1-to-dc2', 'running'],
    ['dc2-to-dc1', 'running'],
  ]);

  mkdirSync(resolve('test-output'), { recursive: true });
  await page.screenshot({ path: resolve('test-output', 'status-page-daemon.png'), fullPage: true });
  assert.deepEqual(errors, []);
  writing.abort();
  await Promise.all(writers);
});
