import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { jsonEvent } from '@eventstore/db-client';
import { DestinationReader } from '../../src/link/write/destination-reader.js';
import { CheckpointStore } from '../../src/link/checkpoint/checkpoint-store.js';
import { proxied } from '../helpers/proxied-node.js';
import { installRawBytes } from '../../src/client/raw-bytes.js';
import { nodesFor } from './link-fixture.js';

installRawBytes();

// The v6 client sends stock reads with deadline Infinity: on a connection that stopped carrying bytes they
// would wait forever. The link's reads besides its subscription give up, drop the connection and retry.
test('a destination read on a connection gone silent fails in time with a stable code, and the next read gets a new connection', async (t) => {
  const [node] = await nodesFor(t, ['dc2']);
  // Keepalive off: only the read's own timeout may get it off the silent connection.
  const { proxy, client } = await proxied(t, node!.connectionString, { keepAliveInterval: -1 });
  const stream = `bounded-${randomUUID()}`;
  await client.appendToStream(stream, [jsonEvent({ type: 'A', data: { n: 1 } }), jsonEvent({ type: 'B', data: {} })]);
  const reader = new DestinationReader(client, 1_000);
  assert.equal((await reader.forward(stream, 0n, 10)).length, 2, 'a read on a healthy connection');
  assert.ok(proxy.wedge() >= 1, 'the open connection went silent');
  const started = Date.now();
  await assert.rejects(reader.tail(stream, 10), (err: { code?: string; message: string }) => {
    assert.equal(err.code, 'ESDBL_CLIENT_READ_TIMEOUT');
    assert.match(err.message, new RegExp(`a read of ${stream} on the destination got no answer within 1000 ms`));
    return true;
  });
  const waited = Date.now() - started;
  assert.ok(waited < 5_000, `gave up after ${waited} ms, not never`);
  const accepted = proxy.stats.accepted;
  const again = await reader.tail(stream, 10);
  assert.deepEqual(
    again.map((e) => e.type),
    ['B', 'A'],
    'the retry reads everything, newest first',
  );
  assert.ok(proxy.stats.accepted > accepted, 'the retry went out on a new connection');
});

test('the checkpoint read at start gives up on a silent connection instead of hanging the link', async (t) => {
  const [node] = await nodesFor(t, ['dc2']);
  const { proxy, client } = await proxied(t, node!.connectionString, { keepAliveInterval: -1 });
  const link = `bounded-cp-${randomUUID().slice(0, 8)}`;
  const store = new CheckpointStore(client, link, () => Date.now(), undefined, 1_000);
  await store.write({ commit: 42n, prepare: 42n });
  proxy.wedge();
  await assert.rejects(store.read(), { code: 'ESDBL_CLIENT_READ_TIMEOUT' });
  assert.deepEqual(await store.read(), { commit: 42n, prepare: 42n });
});
