import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import {
  credentials,
  makeClientConstructor,
  Metadata,
  status,
  type Client,
  type ServiceDefinition,
  type ServiceError,
} from '@grpc/grpc-js';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { startEmulator } from '../../src/emulator/index.js';
import { loadPackageDefinition } from '../../src/emulator/protos.js';

// A raw gRPC client built from the emulator's own protos: it can send what the real client never would.
type Callback = (err: ServiceError | null, value?: unknown) => void;
interface ClientStream {
  write(m: unknown): void;
  end(): void;
}
interface DuplexStream extends ClientStream {
  on(event: 'data', fn: (m: unknown) => void): this;
  on(event: 'error', fn: (e: ServiceError) => void): this;
  on(event: 'end' | 'status', fn: () => void): this;
}
interface ReadStream {
  on(event: 'data', fn: (m: Record<string, unknown>) => void): this;
  on(event: 'error', fn: (e: ServiceError) => void): this;
  on(event: 'end', fn: () => void): this;
}
interface RawStreams extends Client {
  Append(cb: Callback): ClientStream;
  BatchAppend(): DuplexStream;
  Read(req: unknown): ReadStream;
  Delete(req: unknown, cb: Callback): void;
}

async function setup(t: TestContext): Promise<{ raw: RawStreams; garbage: Client; url: string }> {
  const emulator = await startEmulator({ maxAppendSize: 4096 });
  t.after(() => emulator.stop());
  const def = loadPackageDefinition()['event_store.client.streams.Streams'] as ServiceDefinition;
  const Ctor = makeClientConstructor(def, 'Streams');
  const address = `127.0.0.1:${emulator.port}`;
  const raw = new Ctor(address, credentials.createInsecure()) as unknown as RawStreams;
  t.after(() => raw.close());
  const garbageDef: ServiceDefinition = {
    Delete: {
      ...(def.Delete as ServiceDefinition[string]),
      requestSerialize: (b: Buffer) => b,
    },
  };
  const garbage = new (makeClientConstructor(garbageDef, 'Garbage'))(address, credentials.createInsecure());
  t.after(() => garbage.close());
  return { raw, garbage, url: emulator.connectionString };
}

const name = (s: string): { stream_name: Buffer } => ({ stream_name: Buffer.from(s) });

function append(raw: RawStreams, messages: unknown[]): Promise<{ err: ServiceError | null; value: unknown }> {
  return new Promise((resolve) => {
    const call = raw.Append((err, value) => resolve({ err, value }));
    for (const m of messages) call.write(m);
    call.end();
  });
}

function read(raw: RawStreams, options: unknown): Promise<{ messages: Record<string, unknown>[]; err?: ServiceError }> {
  return new Promise((resolve) => {
    const messages: Record<string, unknown>[] = [];
    const call = raw.Read({ options });
    call.on('data', (m) => messages.push(m));
    call.on('error', (err) => resolve({ messages, err }));
    call.on('end', () => resolve({ messages }));
  });
}

const proposed = (metadata: Record<string, string>, id: unknown = { string: randomUUID() }): unknown => ({
  proposed_message: { id, metadata, data: Buffer.from('{}'), custom_metadata: Buffer.alloc(0) },
});

function trailer(err: ServiceError | null, key: string): string | undefined {
  return err?.metadata.get(key)[0]?.toString();
}

describe('emulator robustness against malformed requests (raw gRPC)', () => {
  it('rejects bad appends with the real server error shapes and keeps serving', async (t) => {
    const { raw, url } = await setup(t);
    const stream = `r-${randomUUID()}`;
    const options = { options: { stream_identifier: name(stream), any: {} } };

    const badUuid = await append(raw, [
      options,
      proposed({ type: 'T', 'content-type': 'application/json' }, { string: 'not-a-uuid' }),
    ]);
    assert.equal(badUuid.err?.code, status.UNKNOWN);

    const missing = await append(raw, [options, proposed({ type: 'T' })]);
    assert.equal(missing.err?.code, status.INVALID_ARGUMENT);
    assert.equal(trailer(missing.err, 'exception'), 'missing-required-metadata-property');

    const noOptions = await append(raw, [proposed({ type: 'T', 'content-type': 'application/json' })]);
    assert.equal(noOptions.err?.code, status.INVALID_ARGUMENT);

    const emptyName = await append(raw, [{ options: { stream_identifier: name(''), any: {} } }]);
    assert.equal(emptyName.err?.code, status.INVALID_ARGUMENT);

    const big = {
      proposed_message: {
        id: { string: randomUUID() },
        metadata: { type: 'T', 'content-type': 'application/octet-stream' },
        data: Buffer.alloc(5000),
      },
    };
    const tooBig = await append(raw, [options, big]);
    assert.equal(tooBig.err?.code, status.INVALID_ARGUMENT);
    assert.equal(trailer(tooBig.err, 'exception'), 'maximum-append-size-exceeded');
    assert.equal(trailer(tooBig.err, 'maximum-append-size'), '4096');

    const structuredId = randomUUID();
    const hex = structuredId.replace(/-/g, '');
    const structured = {
      structured: {
        most_significant_bits: BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString(),
        least_significant_bits: BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString(),
      },
    };
    const ok = await append(raw, [options, proposed({ type: 'T', 'content-type': 'application/json' }, structured)]);
    assert.equal(ok.err, null);

    // Nothing but the valid append was written, and the real client still works.
    const client = EventStoreDBClient.connectionString(url);
    t.after(() => client.dispose());
    const events = [];
    for await (const e of client.readStream(stream)) events.push(e.event?.id);
    assert.deepEqual(events, [structuredId]);
    await client.appendToStream(stream, [jsonEvent({ type: 'After', data: {} })], { expectedRevision: 0n });
  });

  it('answers unreadable request bytes and bad read options with errors, not crashes', async (t) => {
    const { raw, garbage } = await setup(t);
    const garbageErr = await new Promise<ServiceError | null>((resolve) => {
      garbage.makeUnaryRequest(
        '/event_store.client.streams.Streams/Delete',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
        new Metadata(),
        (err) => resolve(err),
      );
    });
    assert.ok(garbageErr && garbageErr.code !== status.OK, 'garbage request fails');

    const noOptions = await read(raw, null);
    assert.equal(noOptions.err?.code, status.INVALID_ARGUMENT);
    const badRegex = await read(raw, {
      all: { start: {} },
      subscription: {},
      filter: { stream_identifier: { regex: '(' }, max: 32, checkpointIntervalMultiplier: 1 },
      uuid_option: { string: {} },
    });
    assert.equal(badRegex.err?.code, status.INVALID_ARGUMENT);

    const deleted = await new Promise<ServiceError | null>((resolve) =>
      raw.Delete({ options: { stream_identifier: name(''), any: {} } }, (err) => resolve(err)),
    );
    assert.equal(deleted?.code, status.INVALID_ARGUMENT);
  });

  it('reads with structured UUIDs and compatibility messages for the newer client', async (t) => {
    const { raw } = await setup(t);
    const stream = `c-${randomUUID()}`;
    const id = randomUUID();
    const options = { options: { stream_identifier: name(stream), no_stream: {} } };
    assert.equal(
      (await append(raw, [options, proposed({ type: 'T', 'content-type': 'application/json' }, { string: id })])).err,
      null,
    );

    const streamRead = await read(raw, {
      stream: { stream_identifier: name(stream), start: {} },
      count: '10',
      no_filter: {},
      uuid_option: { structured: {} },
      control_option: { compatibility: 1 },
    });
    assert.equal(streamRead.err, undefined);
    assert.deepEqual(
      streamRead.messages.map((m) => m.content),
      ['event', 'last_stream_position'],
    );
    const recorded = (streamRead.messages[0]?.event as { event: { id: { structured: Record<string, string> } } }).event;
    const hex =
      BigInt.asUintN(64, BigInt(recorded.id.structured.most_significant_bits ?? '0'))
        .toString(16)
        .padStart(16, '0') +
      BigInt.asUintN(64, BigInt(recorded.id.structured.least_significant_bits ?? '0'))
        .toString(16)
        .padStart(16, '0');
    assert.equal(hex, id.replace(/-/g, ''));
    assert.equal(streamRead.messages[1]?.last_stream_position, '0');

    const allRead = await read(raw, {
      all: { end: {} },
      read_direction: 1,
      count: '1',
      no_filter: {},
      uuid_option: { string: {} },
      control_option: { compatibility: 1 },
    });
    const last = allRead.messages.at(-1) as { content: string; last_all_stream_position: { commit_position: string } };
    assert.equal(last.content, 'last_all_stream_position');
    const event = allRead.messages[0]?.event as { commit_position: string };
    assert.equal(last.last_all_stream_position.commit_position, event.commit_position);

    const missing = await read(raw, {
      stream: { stream_identifier: name(`missing-${randomUUID()}`), start: {} },
      count: '10',
      no_filter: {},
      uuid_option: { string: {} },
    });
    assert.deepEqual(
      missing.messages.map((m) => m.content),
      ['stream_not_found'],
    );
  });

  it('a malformed BatchAppend request gets a BadRequest status and the same call appends again', async (t) => {
    const { raw } = await setup(t);
    const stream = `b-${randomUUID()}`;
    const batch = (id: unknown): unknown => ({
      correlation_id: { string: randomUUID() },
      options: { stream_identifier: name(stream), any: {} },
      proposed_messages: [{ id, metadata: { type: 'T', 'content-type': 'application/json' }, data: Buffer.from('{}') }],
      is_final: true,
    });
    const responses: Record<string, unknown>[] = [];
    const call = raw.BatchAppend();
    const ended = new Promise<ServiceError | undefined>((resolve) => {
      call.on('error', (err) => resolve(err));
      call.on('end', () => resolve(undefined));
    });
    const next = (): Promise<Record<string, unknown>> =>
      new Promise((resolve) => call.on('data', (m) => responses.length === 0 || resolve(m as Record<string, unknown>)));
    const first = new Promise<Record<string, unknown>>((resolve) =>
      call.on('data', (m) => {
        responses.push(m as Record<string, unknown>);
        if (responses.length === 1) resolve(m as Record<string, unknown>);
      }),
    );
    call.write(batch({ string: 'nope' }));
    const bad = (await first) as {
      result: string;
      error: { code: number; message: string; details: { type_url: string } };
    };
    assert.equal(bad.result, 'error');
    assert.equal(bad.error.code, status.INVALID_ARGUMENT);
    assert.equal(bad.error.message, 'BadRequest');
    assert.equal(bad.error.details.type_url, 'type.googleapis.com/event_store.client.BadRequest');
    const second = next();
    call.write(batch({ string: randomUUID() }));
    const good = (await second) as {
      result: string;
      success: { current_revision: string };
      stream_identifier: { stream_name: Buffer };
    };
    assert.equal(good.result, 'success');
    assert.equal(good.success.current_revision, '0');
    assert.equal(good.stream_identifier.stream_name.toString(), stream);
    call.end();
    assert.equal(await ended, undefined, 'the call ends cleanly');
  });
});
