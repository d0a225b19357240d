import assert from 'node:assert/strict';
import { request as httpRequest, Agent } from 'node:http';
import type { Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { startHttpServer } from '../../src/observability/http-server.js';
import type { DaemonStatus } from '../../src/observability/status-types.js';
import { isLinkerError } from '../../src/shared/errors.js';
import { fakeDaemonStatus, fakeLinkStatus } from '../helpers/fake-status.js';

// Parsed response bodies and log lines are checked field by field: their shape is what is under test.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

const SECRET = 'pa55-w0rd-xyz';

async function start(t: TestContext, getStatus: () => DaemonStatus, token?: string) {
  const metrics = createMetrics({ collectDefault: false });
  metrics.setStatusSource(getStatus);
  metrics.forLink({ link: 'a-to-b', origin: 'a', destination: 'b' }).replicated(3, 300);
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    token,
    registry: metrics.registry,
    getStatus,
    logger: silentLogger(),
  });
  t.after(() => server.close());
  return server;
}

async function get(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { res, text, json: () => JSON.parse(text) as Json };
}

test('serves metrics, liveness, readiness, status, the page, 404 and 405', async (t) => {
  const status = fakeDaemonStatus([fakeLinkStatus({ name: 'a-to-b', eventsReplicated: 3 })]);
  const server = await start(t, () => status);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(server.port > 0);

  const metrics = await get(`${server.url}/metrics`);
  assert.equal(metrics.res.status, 200);
  assert.match(metrics.res.headers.get('content-type') ?? '', /^text\/plain/);
  assert.match(metrics.text, /^esdb_linker_events_replicated_total\{link="a-to-b",origin="a",destination="b"\} 3$/m);

  const live = await get(`${server.url}/health/live`);
  assert.equal(live.res.status, 200);

  const ready = await get(`${server.url}/health/ready`);
  assert.equal(ready.res.status, 200);
  assert.equal(ready.json().ready, true);

  const api = await get(`${server.url}/api/status?x=1`);
  assert.equal(api.res.status, 200);
  assert.match(api.res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(api.json(), JSON.parse(JSON.stringify(status)));

  const page = await get(`${server.url}/`);
  assert.equal(page.res.status, 200);
  assert.match(page.res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.text, /<title>esdb-linker status<\/title>/);
  assert.match(page.res.headers.get('content-security-policy') ?? '', /script-src 'sha256-/);

  const missing = await get(`${server.url}/nope`);
  assert.equal(missing.res.status, 404);
  assert.equal(missing.json().error, 'not_found');

  const post = await get(`${server.url}/api/status`, { method: 'POST', body: '{}' });
  assert.equal(post.res.status, 405);
  assert.equal(post.res.headers.get('allow'), 'GET, HEAD');

  const head = await fetch(`${server.url}/health/live`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});

test('readiness is 503 with the links that hold it back and why', async (t) => {
  let status = fakeDaemonStatus([
    fakeLinkStatus({ name: 'a-to-b' }),
    fakeLinkStatus({ name: 'b-to-a', origin: 'b', destination: 'a', stalled: true }),
    fakeLinkStatus({
      name: 'b-to-c',
      origin: 'b',
      destination: 'c',
      state: 'failed',
      lastError: { code: 'ESDBL_LINK_CONFLICT_HALT', message: 'conflict on orders-1', at: new Date().toISOString() },
    }),
  ]);
  const server = await start(t, () => status);
  const notReady = await get(`${server.url}/health/ready`);
  assert.equal(notReady.res.status, 503);
  const body = notReady.json();
  assert.equal(body.ready, false);
  assert.deepEqual(
    body.notReady.map((l: { link: string }) => l.link),
    ['b-to-a', 'b-to-c'],
  );
  assert.match(body.notReady[0].reasons.join(' '), /stalled/);
  assert.match(body.notReady[1].reasons.join(' '), /state is failed/);
  assert.match(body.notReady[1].reasons.join(' '), /ESDBL_LINK_CONFLICT_HALT/);

  status = fakeDaemonStatus([], { ready: false });
  const starting = await get(`${server.url}/health/ready`);
  assert.equal(starting.res.status, 503);
  assert.equal(starting.json().reason, 'no link is running');

  status = fakeDaemonStatus([fakeLinkStatus({ name: 'a-to-b' })]);
  assert.equal((await get(`${server.url}/health/ready`)).res.status, 200);
});

test('no credential leaves the process through the status API or readiness', async (t) => {
  const cs = `esdb://admin:${SECRET}@db1.invalid:2113?tls=false`;
  const status = fakeDaemonStatus(
    [
      fakeLinkStatus({
        name: 'a-to-b',
        state: 'starting',
        lastError: { code: 'ESDBL_X', message: `cannot connect to ${cs}`, at: new Date().toISOString() },
      }),
    ],
    {
      nodes: [{ name: 'a', connectionString: cs }],
      recentErrors: [
        { link: 'a-to-b', code: 'ESDBL_X', message: `cannot connect to ${cs}`, at: '2026-01-01T00:00:00Z' },
      ],
    },
  );
  const server = await start(t, () => status);
  const api = await get(`${server.url}/api/status`);
  const ready = await get(`${server.url}/health/ready`);
  for (const text of [api.text, ready.text]) assert.ok(!text.includes(SECRET), text);
  assert.equal(api.json().nodes[0].connectionString, 'esdb://***:***@db1.invalid:2113?tls=false');
  assert.match(api.json().recentErrors[0].message, /esdb:\/\/\*\*\*:\*\*\*@db1\.invalid/);
});

test('a bearer token guards everything but liveness', async (t) => {
  const token = 't0ken-' + SECRET;
  const server = await start(t, () => fakeDaemonStatus([fakeLinkStatus({ name: 'a-to-b' })]), token);
  const auth = { headers: { Authorization: `Bearer ${token}` } };
  for (const path of ['/metrics', '/health/ready', '/api/status', '/', '/nope']) {
    const anonymous = await get(`${server.url}${path}`);
    assert.equal(anonymous.res.status, 401, path);
    assert.match(anonymous.res.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.ok(!anonymous.text.includes(token));
    const wrong = await get(`${server.url}${path}`, { headers: { Authorization: 'Bearer nope' } });
    assert.equal(wrong.res.status, 401, path);
  }
  assert.equal((await get(`${server.url}/health/live`)).res.status, 200);
  assert.equal((await get(`${server.url}/metrics`, auth)).res.status, 200);
  assert.equal((await get(`${server.url}/api/status`, auth)).res.status, 200);
  assert.equal((await get(`${server.url}/nope`, auth)).res.status, 404);
  // The page is opened by a browser, which cannot send a header on navigation.
  assert.equal((await get(`${server.url}/?token=${encodeURIComponent(token)}`)).res.status, 200);
  assert.equal((await get(`${server.url}/api/status?token=${encodeURIComponent(token)}`)).res.status, 401);
});

test('a failing status source answers 500 and the server keeps serving', async (t) => {
  let fail = true;
  const server = await start(t, () => {
    if (fail) throw new Error(`boom esdb://u:${SECRET}@h:1`);
    return fakeDaemonStatus([fakeLinkStatus({ name: 'a-to-b' })]);
  });
  const broken = await get(`${server.url}/api/status`);
  assert.equal(broken.res.status, 500);
  assert.ok(!broken.text.includes(SECRET), broken.text);
  fail = false;
  assert.equal((await get(`${server.url}/api/status`)).res.status, 200);
});

test('close() ends idle keep-alive sockets and stops listening', async (t) => {
  const server = await start(t, () => fakeDaemonStatus([fakeLinkStatus({ name: 'a-to-b' })]));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  // One request on a keep-alive connection; its socket then sits idle in the agent's pool.
  const socket = await new Promise<Socket>((resolve, reject) => {
    const req = httpRequest(`${server.url}/health/live`, { agent }, (res) => {
      assert.equal(res.headers.connection, 'keep-alive');
      res.resume();
      res.on('end', () => resolve(req.socket as Socket));
    });
    req.on('error', reject);
    req.end();
  });
  // The agent unrefs pooled sockets; keep this one referenced so the test waits for the server to end it.
  socket.ref();
  const socketClosed = new Promise<void>((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
  await server.close();
  await socketClosed;
  await assert.rejects(fetch(`${server.url}/health/live`));
  await server.close(); // idempotent
});

test('a port in use is reported with a stable code', async (t) => {
  const first = await start(t, () => fakeDaemonStatus([]));
  await assert.rejects(
    startHttpServer({
      host: '127.0.0.1',
      port: first.port,
      token: undefined,
      registry: createMetrics({ collectDefault: false }).registry,
      getStatus: () => fakeDaemonStatus([]),
      logger: silentLogger(),
    }),
    (err) => isLinkerError(err, 'ESDBL_HTTP_LISTEN_FAILED') && /EADDRINUSE/.test(err.message),
  );
  await assert.rejects(
    startHttpServer({
      host: '127.0.0.1',
      port: 70000,
      token: undefined,
      registry: createMetrics({ collectDefault: false }).registry,
      getStatus: () => fakeDaemonStatus([]),
      logger: silentLogger(),
    }),
    (err) => isLinkerError(err, 'ESDBL_HTTP_BAD_OPTIONS') && /70000/.test(err.message),
  );
});
