import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { test, type TestContext } from 'node:test';
import type { LinkStatus } from '../../src/link/link-status.js';
import { startHttpServer } from '../../src/observability/http-server.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { DaemonStatus } from '../../src/observability/status-types.js';
import { field, launchChromium, waitForChange, watchErrors } from '../helpers/browser.js';
import { fakeDaemonStatus, fakeLinkStatus } from '../helpers/fake-status.js';

const SECRET = 'hunter2-secret';
const OUTPUT = resolve('test-output');

/**
 * A status source that moves while the test watches: every tick the links replicate more events and
 * their rate and lag wander, like a daemon under load. What is tested is the page, not the engine.
 */
function movingStatus() {
  let tick = 0;
  const links = (): LinkStatus[] => {
    const wave = (phase: number) => 50 + 40 * Math.sin((tick + phase) / 3);
    return [
      fakeLinkStatus({
        name: 'a-to-b',
        origin: 'a',
        destination: 'b',
        eventsReplicated: 1000 + tick * 37,
        bytesReplicated: (1000 + tick * 37) * 512,
        rate: wave(0),
        lagEvents: Math.round(wave(1)),
        lagSeconds: wave(2) / 40,
        checkpoint: { commit: String(4096 + tick * 1000), prepare: String(4096 + tick * 1000) },
        buffer: { events: Math.round(wave(3) * 20), bytes: 1 << 20, maxEvents: 10_000, maxBytes: 32 << 20 },
      }),
      fakeLinkStatus({
        name: 'b-to-a',
        origin: 'b',
        destination: 'a',
        eventsReplicated: 500 + tick * 11,
        eventsSkipped: 300 + tick * 5,
        rate: wave(5) / 3,
        phase: 'catch-up',
        caughtUp: false,
        conflicts: 2,
        lagSeconds: wave(4) / 10,
      }),
      fakeLinkStatus({
        name: 'b-to-c',
        origin: 'b',
        destination: 'c',
        stalled: tick % 10 > 5,
        retrying: true,
        retries: 3 + tick,
        eventsReplicated: 42,
        lastError: {
          code: 'ESDBL_LINK_APPEND_FAILED',
          message: `deadline exceeded talking to esdb://ops:${SECRET}@c.invalid:2113`,
          at: new Date().toISOString(),
        },
      }),
    ];
  };
  const startedAt = new Date(Date.now() - 3_725_000).toISOString();
  const timer = setInterval(() => tick++, 150);
  const getStatus = (): DaemonStatus => {
    const current = links();
    return fakeDaemonStatus(current, {
      startedAt,
      nodes: [
        { name: 'a', connectionString: `esdb://admin:${SECRET}@a.invalid:2113?tls=false` },
        { name: 'b', connectionString: 'esdb://b.invalid:2113?tls=false' },
        { name: 'c', connectionString: 'esdb://c.invalid:2113?tls=false' },
      ],
      recentErrors: current.flatMap((l) => (l.lastError ? [{ link: l.name, ...l.lastError }] : [])),
    });
  };
  return { getStatus, stop: () => clearInterval(timer) };
}

async function serve(t: TestContext, token?: string) {
  const source = movingStatus();
  t.after(source.stop);
  const metrics = createMetrics({ collectDefault: false });
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    token,
    registry: metrics.registry,
    getStatus: source.getStatus,
    logger: silentLogger(),
  });
  t.after(() => server.close());
  return server;
}

/** Console errors and uncaught page errors, collected for the whole life of the page. */
test('the live status page in headless Chromium', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;

  await t.test('shows every link and live-updating numbers, without errors or secrets', async (t) => {
    const server = await serve(t);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    t.after(() => page.close());
    const errors = watchErrors(page);
    await page.goto(`${server.url}/`);

    for (const name of ['a-to-b', 'b-to-a', 'b-to-c']) {
      await field(page, name, 'name').waitFor({ state: 'visible', timeout: 20_000 });
      assert.equal(await field(page, name, 'name').textContent(), name);
      assert.equal(await page.locator(`#topology path[data-edge="${name}"]`).count(), 1, `edge ${name}`);
    }
    assert.equal(await field(page, 'b-to-a', 'route').textContent(), 'b → a · catch-up');
    assert.equal(await field(page, 'b-to-a', 'conflicts').textContent(), '2');
    assert.equal(await field(page, 'b-to-a', 'state').textContent(), 'catch-up');
    assert.equal(await field(page, 'a-to-b', 'state').textContent(), 'live');

    const replicated = '[data-link="a-to-b"] [data-field="eventsReplicated"]';
    const checkpoint = '[data-link="a-to-b"] [data-field="checkpoint"]';
    const first = (await page.locator(replicated).textContent()) ?? '';
    const firstCheckpoint = (await page.locator(checkpoint).textContent()) ?? '';
    const second = await waitForChange(page, replicated, first);
    assert.ok(Number(second.replace(/,/g, '')) > Number(first.replace(/,/g, '')), `${first} -> ${second}`);
    await waitForChange(page, checkpoint, firstCheckpoint);
    await waitForChange(page, '#sum-replicated', (await page.locator('#sum-replicated').textContent()) ?? '');

    // Let the sparklines collect a few points before the picture is taken.
    await page
      .locator('#updated')
      .filter({ hasText: /^updated/ })
      .waitFor();
    await page.waitForTimeout(3000);
    assert.match((await page.locator('#errors').textContent()) ?? '', /ESDBL_LINK_APPEND_FAILED/);
    const body = (await page.locator('body').textContent()) ?? '';
    assert.ok(!body.includes(SECRET), 'a secret reached the page');
    assert.ok(!(await page.content()).includes(SECRET), 'a secret reached the DOM');

    mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: resolve(OUTPUT, 'status-page.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  await t.test('works behind a bearer token given as ?token=', async (t) => {
    const token = 'page-token-123';
    const server = await serve(t, token);
    const page = await browser.newPage();
    t.after(() => page.close());
    const errors = watchErrors(page);
    await page.goto(`${server.url}/?token=${token}`);
    await field(page, 'a-to-b', 'name').waitFor({ state: 'visible', timeout: 20_000 });
    const selector = '[data-link="b-to-a"] [data-field="eventsReplicated"]';
    await waitForChange(page, selector, (await page.locator(selector).textContent()) ?? '');
    assert.equal(await page.locator('#banner').isVisible(), false);
    assert.deepEqual(errors, []);
  });
});
