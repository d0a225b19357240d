import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { startEmulator } from '../../src/emulator/index.js';
import { FaultProxy } from '../helpers/fault-proxy.js';

/** A TCP server that echoes every byte back. */
async function echoServer(t: TestContext): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as AddressInfo).port;
}

async function startProxy(t: TestContext, targetPort: number, seed = 7): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ targetPort, seed });
  t.after(() => proxy.stop());
  return proxy;
}

interface Peer {
  socket: Socket;
  received(): Buffer;
  closed: Promise<NodeJS.ErrnoException | undefined>;
}

async function open(t: TestContext, port: number): Promise<Peer> {
  const socket = connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let error: NodeJS.ErrnoException | undefined;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', (err) => (error = err));
  const closed = new Promise<NodeJS.ErrnoException | undefined>((resolve) =>
    socket.once('close', () => resolve(error)),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  t.after(() => socket.destroy());
  return { socket, received: () => Buffer.concat(chunks), closed };
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

test('passes bytes both ways unchanged', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  const peer = await open(t, proxy.port);
  const payload = Buffer.alloc(300_000, 0);
  for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
  peer.socket.write(payload);
  await until('the echo', () => peer.received().length >= payload.length);
  assert.ok(peer.received().equals(payload));
  assert.equal(proxy.stats.open, 1);
  assert.ok(proxy.stats.bytesForwarded >= 2 * payload.length);
});

test('blackhole holds bytes with the socket open; heal delivers them in order', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  const peer = await open(t, proxy.port);
  peer.socket.write('before;');
  await until('the first echo', () => peer.received().toString() === 'before;');
  proxy.blackhole();
  peer.socket.write('held-1;');
  peer.socket.write('held-2;');
  await delay(200);
  assert.equal(peer.received().toString(), 'before;', 'nothing passes a blackhole');
  assert.equal(peer.socket.destroyed, false, 'the socket stays open');
  assert.ok(proxy.heldBytes > 0);
  // A new connection is accepted but never reaches the server.
  const late = await open(t, proxy.port);
  late.socket.write('late;');
  await delay(100);
  assert.equal(late.received().length, 0);
  proxy.heal();
  await until('held bytes', () => peer.received().toString() === 'before;held-1;held-2;');
  await until('the late connection', () => late.received().toString() === 'late;');
});

test('wedge silences the open connections for good; new ones pass', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  const old = await open(t, proxy.port);
  old.socket.write('a');
  await until('the first echo', () => old.received().toString() === 'a');
  assert.equal(proxy.wedge(), 1);
  old.socket.write('b');
  const fresh = await open(t, proxy.port);
  fresh.socket.write('c');
  await until('the new connection works', () => fresh.received().toString() === 'c');
  proxy.heal();
  await delay(200);
  assert.equal(old.received().toString(), 'a', 'a wedged connection stays silent, even after heal');
  assert.equal(old.socket.destroyed, false, 'and open');
});

test('reset sends RST to every open connection; refuse resets new ones', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  const a = await open(t, proxy.port);
  const b = await open(t, proxy.port);
  await until('two connections', () => proxy.stats.open === 2);
  assert.equal(proxy.reset(), 2);
  const [errA, errB] = await Promise.all([a.closed, b.closed]);
  assert.equal(errA?.code, 'ECONNRESET');
  assert.equal(errB?.code, 'ECONNRESET');
  assert.equal(proxy.stats.open, 0);
  proxy.refuse(true);
  const c = await open(t, proxy.port).catch((err: NodeJS.ErrnoException) => err);
  const refusedError = c instanceof Error ? c : await c.closed;
  assert.equal(refusedError?.code, 'ECONNRESET');
  proxy.refuse(false);
  const d = await open(t, proxy.port);
  d.socket.write('ok');
  await until('echo after refusal', () => d.received().toString() === 'ok');
});

test('latency delays every chunk; jitter never reorders', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.setLatency(150, 100);
  const peer = await open(t, proxy.port);
  const sent = Date.now();
  for (let i = 0; i < 50; i++) peer.socket.write(`${i};`);
  const expected = Array.from({ length: 50 }, (_, i) => `${i};`).join('');
  await until('the echo', () => peer.received().length >= expected.length);
  // Both directions are delayed: at least twice the base latency before the first byte is back.
  assert.ok(Date.now() - sent >= 300, `round trip ${Date.now() - sent} ms`);
  assert.equal(peer.received().toString(), expected);
});

test('a bandwidth cap spreads bytes over time', async (t) => {
  const proxy = await startProxy(t, await echoServer(t));
  proxy.setBandwidth(200_000);
  const peer = await open(t, proxy.port);
  const sent = Date.now();
  peer.socket.write(Buffer.alloc(100_000, 1));
  await until('the echo', () => peer.received().length >= 100_000, 10_000);
  // 100 kB each way at 200 kB/s: about half a second one way (the directions overlap).
  assert.ok(Date.now() - sent >= 400, `transfer took ${Date.now() - sent} ms`);
});

test('corruption drops or flips bytes mid-stream, the same way for the same seed', async (t) => {
  const proxy = await startProxy(t, await echoServer(t), 42);
  proxy.corrupt({ dropRate: 0.5, flipRate: 0.5 });
  const peer = await open(t, proxy.port);
  const payload = Buffer.alloc(50_000, 0x61);
  for (let i = 0; i < 50; i++) {
    peer.socket.write(payload.subarray(i * 1_000, (i + 1) * 1_000));
    await delay(5);
  }
  await delay(300);
  assert.ok(proxy.stats.chunksDropped > 0 && proxy.stats.chunksFlipped > 0, JSON.stringify(proxy.stats));
  assert.ok(peer.received().length < payload.length, 'bytes were lost');
  assert.ok(
    peer.received().some((b) => b !== 0x61),
    'bytes were changed',
  );
  // Same seed, same chunks: the same damage.
  const [x, y] = [await startProxy(t, 1, 9), await startProxy(t, 1, 9)];
  for (const p of [x, y]) p.corrupt({ dropRate: 0.4, flipRate: 0.4 });
  for (let i = 0; i < 30; i++) {
    const chunk = Buffer.alloc(500, i);
    assert.deepEqual(x.mangle(chunk), y.mangle(chunk));
  }
});

test('setTarget sends new connections to another server; stop closes everything', async (t) => {
  const first = await echoServer(t);
  const second = await echoServer(t);
  const proxy = await FaultProxy.start({ targetPort: first });
  const a = await open(t, proxy.port);
  proxy.setTarget(second);
  const b = await open(t, proxy.port);
  b.socket.write('b');
  await until('echo from the second server', () => b.received().toString() === 'b');
  await proxy.stop();
  await Promise.all([a.closed, b.closed]);
  assert.equal(proxy.stats.open, 0);
  await assert.rejects(open(t, proxy.port), /ECONNREFUSED/);
});

test('the real client works through the proxy and fails over a reset', async (t) => {
  const emulator = await startEmulator({ port: 0 });
  t.after(() => emulator.stop());
  const port = Number(/:(\d+)/.exec(emulator.connectionString)![1]);
  const proxy = await startProxy(t, port);
  const client = EventStoreDBClient.connectionString(proxy.connectionString());
  t.after(() => client.dispose());
  const stream = `proxy-${randomUUID()}`;
  await client.appendToStream(stream, jsonEvent({ type: 'A', data: {} }));
  proxy.reset();
  // The first call after the reset may fail (the client then reconnects); a retry succeeds.
  let ok = false;
  for (let i = 0; i < 10 && !ok; i++) {
    try {
      await client.appendToStream(stream, jsonEvent({ type: 'B', data: {} }));
      ok = true;
    } catch {
      await delay(100);
    }
  }
  assert.ok(ok, 'an append succeeded after the reset');
  const events = [];
  for await (const e of client.readStream(stream)) events.push(e.event?.type);
  assert.deepEqual(events, ['A', 'B']);
  assert.ok(proxy.stats.accepted >= 2, 'the client opened a new connection after the reset');
});
