// The raw appender against the emulator through real gRPC, with BatchAppend advertised and without (classic
// Append): bytes land exactly, expected revisions behave as the server defines them, refusals and transport
// faults come back as the client's own error classes, and the next append after a fault works.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import {
  ANY,
  CancelledError,
  DeadlineExceededError,
  EventStoreDBClient,
  MaxAppendSizeExceededError,
  NO_STREAM,
  NotLeaderError,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  type RecordedEvent,
} from '@eventstore/db-client';
import { RawAppender } from '../../src/client/raw-appender.js';
import { installRawBytes, rawBytesOf, type RawEventInput } from '../../src/client/raw-bytes.js';
import { startEmulator } from '../../src/emulator/index.js';
import type { Emulator, EmulatorOptions, InjectedAppendError } from '../../src/emulator/emulator-api.js';
import { errorKind } from '../../src/link/recovery/error-kinds.js';
import { collect, rejection, waitUntil } from '../helpers/conformance-server.js';

installRawBytes();

interface Node {
  emulator: Emulator;
  client: EventStoreDBClient;
}

async function node(t: TestContext, options: EmulatorOptions): Promise<Node> {
  const emulator = await startEmulator({ port: 0, ...options });
  const client = EventStoreDBClient.connectionString(emulator.connectionString);
  t.after(async () => {
    await client.dispose();
    await emulator.stop();
  });
  return { emulator, client };
}

const stream = (prefix: string): string => `${prefix}-${randomUUID()}`;

function event(type: string, data: Uint8Array, extra: Partial<RawEventInput> = {}): RawEventInput {
  return { id: randomUUID(), type, contentType: 'application/octet-stream', data, ...extra };
}

function small(n: number, type = 'Small'): RawEventInput[] {
  return Array.from({ length: n }, (_, i) =>
    event(type, Buffer.from(`{"i":${i}}`), { contentType: 'application/json' }),
  );
}

async function readAll(client: EventStoreDBClient, name: string): Promise<RecordedEvent[]> {
  return (await collect(client.readStream(name))).map((r) => r.event!);
}

// Bytes the stock client would change if it JSON.parsed / JSON.stringified them.
const awkwardJson = Buffer.from(
  '{ "b": 1,\n  "a": 9223372036854775807, "a": 1.50, "big": 123456789012345678901234567890 }',
);
const awkwardMetadata = Buffer.from('{"$correlationId":"c-1",  "n": 18446744073709551615 }');

for (const batchAppend of [true, false]) {
  const rpc = batchAppend ? 'BatchAppend' : 'classic Append';

  describe(`raw appender (${rpc})`, () => {
    test('appends land byte for byte: odd JSON, huge numbers, binary, empty data and metadata, non-ASCII names', async (t) => {
      const { client } = await node(t, { batchAppend });
      const appender = new RawAppender(client);
      const name = stream('raw-bytes-ü-😀');
      const inputs: RawEventInput[] = [
        event('json-awkward-ÿ', awkwardJson, { contentType: 'application/json', metadata: awkwardMetadata }),
        event('json-string-meta', Buffer.from('[1, 2]'), {
          contentType: 'application/json',
          metadata: Buffer.from('"just a string"'),
        }),
        event('binary', Buffer.from([0, 1, 2, 255, 254, 0x7b]), { metadata: Buffer.from([0xff, 0x00]) }),
        event('empty', new Uint8Array(0), { metadata: new Uint8Array(0) }),
      ];
      const result = await appender.append(name, inputs, { expectedRevision: NO_STREAM });
      assert.equal(result.nextExpectedRevision, 3n);

      const read = await readAll(client, name);
      assert.equal(read.length, inputs.length);
      inputs.forEach((input, i) => {
        const e = read[i]!;
        assert.equal(e.id, input.id);
        assert.equal(e.type, input.type);
        assert.equal(e.revision, BigInt(i));
        assert.equal(e.isJson, input.contentType === 'application/json');
        const raw = rawBytesOf(e);
        assert.deepEqual(Buffer.from(raw.data), Buffer.from(input.data), `data of ${input.type}`);
        assert.deepEqual(Buffer.from(raw.metadata), Buffer.from(input.metadata ?? []), `metadata of ${input.type}`);
      });
      assert.deepEqual(result.position, read[3]!.position);
    });

    test('expected revisions: no_stream, exact, any, stream_exists, with the real actualVersion on a mismatch', async (t) => {
      const { client } = await node(t, { batchAppend });
      const appender = new RawAppender(client);
      const name = stream('expected');

      const missing = await rejection(appender.append(name, small(1), { expectedRevision: STREAM_EXISTS }), 'append');
      assert.ok(missing instanceof WrongExpectedVersionError, String(missing));
      assert.equal(missing.actualVersion, 'no_stream');
      assert.equal(missing.expectedVersion, 'stream_exists');

      assert.equal((await appender.append(name, small(3), { expectedRevision: NO_STREAM })).nextExpectedRevision, 2n);

      const again = await rejection(appender.append(name, small(1), { expectedRevision: NO_STREAM }), 'append');
      assert.ok(again instanceof WrongExpectedVersionError, String(again));
      assert.equal(again.actualVersion, 2n);
      assert.equal(again.expectedVersion, 'no_stream');
      assert.equal(again.streamName, name);

      const behind = await rejection(appender.append(name, small(1), { expectedRevision: 0n }), 'append');
      assert.ok(behind instanceof WrongExpectedVersionError, String(behind));
      assert.equal(behind.actualVersion, 2n);
      assert.equal(behind.expectedVersion, 0n);

      assert.equal((await appender.append(name, small(2), { expectedRevision: 2n })).nextExpectedRevision, 4n);
      assert.equal((await appender.append(name, small(1), { expectedRevision: ANY })).nextExpectedRevision, 5n);
      assert.equal(
        (await appender.append(name, small(1), { expectedRevision: STREAM_EXISTS })).nextExpectedRevision,
        6n,
      );
      // Re-sending the same ids at the same place is idempotent: nothing is written twice.
      const batch = small(2);
      const first = await appender.append(name, batch, { expectedRevision: 6n });
      const replay = await appender.append(name, batch, { expectedRevision: 6n });
      assert.equal(replay.nextExpectedRevision, first.nextExpectedRevision);
      assert.equal((await readAll(client, name)).length, 9);
    });

    test('a tombstoned stream refuses appends with StreamDeletedError', async (t) => {
      const { client } = await node(t, { batchAppend });
      const appender = new RawAppender(client);
      const name = stream('deleted');
      await appender.append(name, small(1), { expectedRevision: NO_STREAM });
      await client.tombstoneStream(name);
      const err = await rejection(appender.append(name, small(1), { expectedRevision: ANY }), 'append');
      assert.ok(err instanceof StreamDeletedError, String(err));
      assert.equal(err.streamName, name);
      assert.equal(errorKind(err), 'stream-deleted');
    });

    test('an append above the server maximum is refused with MaxAppendSizeExceededError and writes nothing', async (t) => {
      const { client } = await node(t, { batchAppend, maxAppendSize: 64 * 1024 });
      const appender = new RawAppender(client);
      const name = stream('too-large');
      const err = await rejection(
        appender.append(name, [event('Big', Buffer.alloc(100 * 1024, 7))], { expectedRevision: ANY }),
        'append',
      );
      assert.ok(err instanceof MaxAppendSizeExceededError, String(err));
      assert.equal(err.maxAppendSize, 64 * 1024);
      assert.equal(errorKind(err), 'too-large');
      await assert.rejects(readAll(client, name), StreamNotFoundError);
      // The connection is fine afterwards.
      assert.equal((await appender.append(name, small(1), { expectedRevision: NO_STREAM })).nextExpectedRevision, 0n);
    });

    test('appends above the chunk size are split and land whole, in order', async (t) => {
      const { client } = await node(t, { batchAppend });
      const appender = new RawAppender(client, { batchAppendSize: 2_000 });
      const name = stream('split');
      const inputs = Array.from({ length: 40 }, (_, i) => event(`T${i}`, Buffer.alloc(200, i)));
      assert.equal((await appender.append(name, inputs, { expectedRevision: NO_STREAM })).nextExpectedRevision, 39n);
      const read = await readAll(client, name);
      assert.deepEqual(
        read.map((e) => e.id),
        inputs.map((e) => e.id),
      );
      read.forEach((e, i) => assert.deepEqual(Buffer.from(rawBytesOf(e).data), Buffer.alloc(200, i)));
    });

    const injected: Record<InjectedAppendError, new (...args: never[]) => Error> = {
      unavailable: UnavailableError,
      deadline: DeadlineExceededError,
      'not-leader': NotLeaderError,
      cancelled: CancelledError,
      internal: UnknownError,
    };
    for (const [kind, errorClass] of Object.entries(injected) as [InjectedAppendError, typeof UnknownError][]) {
      test(`an injected '${kind}' failure is a retryable ${errorClass.name}; the next append works`, async (t) => {
        const { emulator, client } = await node(t, { batchAppend });
        const appender = new RawAppender(client);
        // Warm the connection (and the BatchAppend stream) so the fault hits an established call.
        await appender.append(stream('warm'), small(1), { expectedRevision: ANY });
        const name = stream('fault');
        emulator.faults.failNextAppends(1, kind);
        const err = await rejection(appender.append(name, small(2), { expectedRevision: NO_STREAM }), 'append');
        assert.ok(err instanceof errorClass, `expected ${errorClass.name}, got ${String(err)}`);
        assert.equal(errorKind(err), 'transient');
        await assert.rejects(readAll(client, name), StreamNotFoundError, 'the failed append wrote nothing');
        assert.equal((await appender.append(name, small(2), { expectedRevision: NO_STREAM })).nextExpectedRevision, 1n);
      });
    }

    test('a hung append fails at its deadline with a retryable error; after release the next append works', async (t) => {
      const { emulator, client } = await node(t, { batchAppend });
      const appender = new RawAppender(client);
      await appender.append(stream('warm'), small(1), { expectedRevision: ANY });
      const release = emulator.faults.hangAppends();
      const name = stream('hang');
      const err = await rejection(
        appender.append(name, small(1), { expectedRevision: ANY, deadlineMs: 200 }),
        'append',
      );
      assert.ok(err instanceof DeadlineExceededError, String(err));
      assert.equal(errorKind(err), 'transient');
      release();
      const after = await appender.append(stream('after-hang'), small(2), { expectedRevision: NO_STREAM });
      assert.equal(after.nextExpectedRevision, 1n);
    });

    test('dropped connections fail the appends in flight with a retryable error; the client reconnects', async (t) => {
      const { emulator, client } = await node(t, { batchAppend });
      const appender = new RawAppender(client);
      await appender.append(stream('warm'), small(1), { expectedRevision: ANY });
      const release = emulator.faults.hangAppends();
      const inFlight = Array.from({ length: 5 }, () =>
        rejection(appender.append(stream('drop'), small(1), { expectedRevision: ANY, deadlineMs: 3_000 }), 'append'),
      );
      await waitUntil(() => appender.inFlight === 5, 'appends in flight');
      // A classic call just created may not be on the connection yet; give it a moment to get there.
      if (!batchAppend) await new Promise((resolve) => setTimeout(resolve, 100));
      emulator.faults.dropConnections();
      const errors = await Promise.all(inFlight);
      for (const err of errors) assert.equal(errorKind(err), 'transient', String(err));
      const cut: unknown[] = errors.filter((err) => err instanceof UnavailableError || err instanceof CancelledError);
      if (batchAppend) {
        assert.equal(cut.length, errors.length, `all on the dropped stream: ${errors.map(String).join('; ')}`);
      } else {
        // A classic call that reached the server only after the drop meets the hang there and ends at its deadline.
        assert.ok(cut.length > 0, `the drop cut calls in flight: ${errors.map(String).join('; ')}`);
        for (const err of errors) assert.ok(cut.includes(err) || err instanceof DeadlineExceededError, String(err));
      }
      release();
      const name = stream('after-drop');
      assert.equal((await appender.append(name, small(3), { expectedRevision: NO_STREAM })).nextExpectedRevision, 2n);
      assert.equal((await readAll(client, name)).length, 3);
    });
  });
}

test("one failing BatchAppend stream rejects only its own appends: the other node's all succeed, nothing crashes", async (t) => {
  // The stock client's single process-wide pending map rejects (and redirects) every node's appends here,
  // then throws on the late answers (see src/client/classic-append.ts).
  const a = await node(t, { batchAppend: true });
  const b = await node(t, { batchAppend: true });
  const onA = new RawAppender(a.client);
  const onB = new RawAppender(b.client);
  await onA.append(stream('warm'), small(1), { expectedRevision: ANY });
  await onB.append(stream('warm'), small(1), { expectedRevision: ANY });
  const releaseA = a.emulator.faults.hangAppends();
  const releaseB = b.emulator.faults.hangAppends();
  const namesB = Array.from({ length: 20 }, () => stream('b'));
  const appendsA = Array.from({ length: 20 }, () =>
    rejection(onA.append(stream('a'), small(2), { expectedRevision: NO_STREAM }), 'append to a'),
  );
  const appendsB = namesB.map((name) => onB.append(name, small(2), { expectedRevision: NO_STREAM }));
  await waitUntil(() => onA.inFlight === 20 && onB.inFlight === 20, 'appends in flight on both nodes');

  a.emulator.faults.dropConnections();
  for (const err of await Promise.all(appendsA)) assert.equal(errorKind(err), 'transient', String(err));
  assert.equal(onB.inFlight, 20, "node b's appends are untouched by node a's failure");

  releaseB();
  for (const result of await Promise.all(appendsB)) assert.equal(result.nextExpectedRevision, 1n);
  for (const name of namesB) assert.equal((await readAll(b.client, name)).length, 2);

  releaseA();
  const name = stream('a-after');
  assert.equal((await onA.append(name, small(1), { expectedRevision: NO_STREAM })).nextExpectedRevision, 0n);
});
