import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, resolveConfig } from '../../src/config/index.js';
import { isLoopbackHost, placeReader } from '../../src/link/read/reader-placement.js';

test('loopback hosts: localhost, 127.0.0.0/8, ::1; anything else is another machine', () => {
  for (const host of [
    'localhost',
    'LOCALHOST',
    'node1.localhost',
    '127.0.0.1',
    '127.8.9.10',
    '::1',
    '[::1]',
    '::ffff:127.0.0.1',
  ]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of [
    '10.0.0.1',
    '192.168.1.2',
    '128.0.0.1',
    'db.example.com',
    'localhost.example.com',
    '::2',
    'fe80::1',
  ]) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

test('auto reads on the main thread when every origin host is on this machine, on a worker otherwise', () => {
  assert.equal(placeReader('auto', 'esdb://127.0.0.1:2113?tls=false').thread, 'main');
  assert.equal(
    placeReader('auto', 'esdb://admin:changeit@localhost:2113,127.0.0.1:2114,127.0.0.1:2115').thread,
    'main',
  );
  assert.equal(placeReader('auto', 'esdb://db1.example.com:2113?tls=false').thread, 'worker');
  // One remote seed is enough: the leader may be there.
  assert.equal(placeReader('auto', 'esdb+discover://127.0.0.1:2113,db2.example.com:2113').thread, 'worker');
  assert.match(placeReader('auto', 'esdb://127.0.0.1:2113').reason, /loopback/);
});

test('an explicit setting wins; without a connection string the link can only read on its own thread', () => {
  assert.equal(placeReader('worker', 'esdb://127.0.0.1:2113?tls=false').thread, 'worker');
  assert.equal(placeReader('main', 'esdb://db1.example.com:2113').thread, 'main');
  assert.equal(placeReader('worker', undefined).thread, 'main');
  assert.match(placeReader('worker', undefined).reason, /no origin connection string/);
});

test('readerThread is validated by the config, with its default', () => {
  const nodes = [
    { name: 'dc1', connectionString: 'esdb://127.0.0.1:2113?tls=false' },
    { name: 'dc2', connectionString: 'esdb://127.0.0.1:2114?tls=false' },
  ];
  const worker = resolveConfig(
    { nodes, links: [{ origin: 'dc1', destination: 'dc2', readerThread: 'worker' }] },
    { env: {} },
  );
  assert.equal(worker.links[0]!.readerThread, 'worker');
  assert.throws(
    () => resolveConfig({ nodes, links: [{ origin: 'dc1', destination: 'dc2', readerThread: 'both' }] }, { env: {} }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.problems.some((p) => p.path === 'links[0].readerThread' && /auto/.test(p.message)),
  );
});
