// The link's subscription clients advertise a 1 MiB receive window (per stream and per connection) instead of
// HTTP/2's 64 KiB, on plain and TLS connections, and keep it on the new connection after a replacement; the
// emulator accepts what a real (Kestrel) server accepts.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { test, type TestContext } from 'node:test';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { SUBSCRIPTION_RECEIVE_WINDOW_BYTES, withReceiveWindow } from '../../src/client/receive-window.js';
import { streamsRpcOf } from '../../src/client/wire/streams-rpc.js';
import { startNode, uniqueName } from '../helpers/nodes.js';
import { openSecureServer } from '../helpers/secure-server.js';
import { SERVER_CONNECTION_WINDOW_BYTES, SERVER_STREAM_WINDOW_BYTES } from '../../src/emulator/node/receive-windows.js';

const DEFAULT_WINDOW = 65_535;

/** Every HTTP/2 session this process opens from now until the test ends (grpc-js calls `http2.connect`). */
function watchSessions(t: TestContext): http2.ClientHttp2Session[] {
  const sessions: http2.ClientHttp2Session[] = [];
  const original = http2.connect;
  const spy = (...args: Parameters<typeof http2.connect>): http2.ClientHttp2Session => {
    const session = original(...args);
    sessions.push(session);
    return session;
  };
  (http2 as { connect: typeof http2.connect }).connect = spy as typeof http2.connect;
  t.after(() => {
    (http2 as { connect: typeof http2.connect }).connect = original;
  });
  return sessions;
}

/** Appends to a new stream and reads it back, so the client has a connection (returned: the read's events). */
async function roundTrip(client: EventStoreDBClient, writer: EventStoreDBClient, stream: string): Promise<number> {
  await writer.appendToStream(stream, [
    jsonEvent({ type: 'T', data: { n: 1 } }),
    jsonEvent({ type: 'T', data: { n: 2 } }),
  ]);
  let read = 0;
  for await (const e of client.readStream(stream)) if (e.event) read++;
  return read;
}

function windows(session: http2.ClientHttp2Session): { stream: number | undefined; connection: number | undefined } {
  return { stream: session.localSettings.initialWindowSize, connection: session.state.effectiveLocalWindowSize };
}

test('a subscription client advertises the larger window, again after its connection is replaced', async (t) => {
  const node = await startNode(0, 'origin');
  t.after(() => node.stop());
  const writer = node.client();
  await writer.appendToStream(uniqueName('warm'), jsonEvent({ type: 'T', data: {} }));
  const sessions = watchSessions(t);

  const wide = withReceiveWindow(EventStoreDBClient.connectionString(node.connectionString));
  t.after(() => wide.dispose());
  assert.equal(await roundTrip(wide, writer, uniqueName('wide')), 2);
  assert.equal(sessions.length, 1, 'one new connection');
  assert.deepEqual(windows(sessions[0]!), {
    stream: SUBSCRIPTION_RECEIVE_WINDOW_BYTES,
    connection: SUBSCRIPTION_RECEIVE_WINDOW_BYTES,
  });

  // After the connection is replaced (a silent subscription), the new one has the window too.
  await streamsRpcOf(wide).replaceCurrentChannel('test: replace the connection');
  assert.equal(await roundTrip(wide, writer, uniqueName('again')), 2);
  assert.equal(sessions.length, 2);
  assert.equal(windows(sessions[1]!).stream, SUBSCRIPTION_RECEIVE_WINDOW_BYTES);
  assert.ok(sessions[0]!.closed || sessions[0]!.destroyed, 'the replaced connection is closed');

  // A stock client (other options, so not sharing the writer's connection) keeps HTTP/2's default.
  const stock = EventStoreDBClient.connectionString(`${node.connectionString}&keepAliveInterval=12345`);
  t.after(() => stock.dispose());
  assert.equal(await roundTrip(stock, writer, uniqueName('stock')), 2);
  assert.equal(sessions.length, 3);
  assert.equal(windows(sessions[2]!).stream, DEFAULT_WINDOW);
});

test('over TLS with credentials, the wider client verifies the server and authenticates as before', async (t) => {
  const server = await openSecureServer(t);
  const writer = EventStoreDBClient.connectionString(server.connectionString);
  server.addCleanup(() => writer.dispose());
  await writer.appendToStream(uniqueName('warm'), jsonEvent({ type: 'T', data: {} }));
  const sessions = watchSessions(t);
  const wide = withReceiveWindow(EventStoreDBClient.connectionString(server.connectionString));
  server.addCleanup(() => wide.dispose());
  assert.equal(await roundTrip(wide, writer, uniqueName('tls')), 2);
  assert.equal(sessions.length, 1);
  assert.ok(sessions[0]!.encrypted, 'a TLS connection');
  assert.equal(windows(sessions[0]!).stream, SUBSCRIPTION_RECEIVE_WINDOW_BYTES);

  // Anonymous on the same server: the server's ACLs still apply to the wider client's calls.
  const anonymous = withReceiveWindow(EventStoreDBClient.connectionString(server.as(undefined)));
  server.addCleanup(() => anonymous.dispose());
  await assert.rejects(async () => {
    for await (const e of anonymous.readAll({ maxCount: 1 })) void e;
  }, /access|denied|auth/i);
});

test("the emulator's receive windows are the real server's (Kestrel: 768 KiB per stream, 1 MiB per connection)", async (t) => {
  const node = await startNode(0, 'destination');
  t.after(() => node.stop());
  if (!node.emulator) return t.skip('a real server: its windows are its own');
  const sessions = watchSessions(t);
  const client = node.client();
  const stream = uniqueName('large');
  // Four 200 KiB events: one append several times the old 64 KiB window.
  const events = Array.from({ length: 4 }, (_, i) =>
    jsonEvent({ type: 'Large', data: { i, pad: 'x'.repeat(200 * 1024) } }),
  );
  await client.appendToStream(stream, events);
  assert.equal(sessions.length, 1);
  const session = sessions[0]!;
  assert.equal(session.remoteSettings.initialWindowSize, SERVER_STREAM_WINDOW_BYTES);
  let read = 0;
  for await (const e of client.readStream(stream)) if (e.event) read++;
  assert.equal(read, 4);
  // The connection window is not a setting: the server raises it with a WINDOW_UPDATE, seen as the room the
  // client had to send in (more than HTTP/2's 65,535 bytes once the first append went through).
  const room = session.state.remoteWindowSize ?? 0;
  assert.ok(
    room > 65_535 && room <= SERVER_CONNECTION_WINDOW_BYTES,
    `connection window ${room} after the appends: above HTTP/2's default, at most the server's 1 MiB`,
  );
});
