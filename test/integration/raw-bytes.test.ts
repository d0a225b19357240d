import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { EventStoreDBClient, jsonEvent, type RecordedEvent } from '@eventstore/db-client';
import { installRawBytes, rawBytesOf, rawEvent } from '../../src/client/raw-bytes.js';
import { startEmulator } from '../../src/emulator/index.js';

installRawBytes();

// Bytes the client would change if it were left to JSON.parse/JSON.stringify them.
const awkwardJson = Buffer.from('{ "b": 1,\n  "a": 9223372036854775807, "a": 1.50, "s": "\\u00e9" }');
const awkwardMetadata = Buffer.from('{"$correlationId":"c-1",  "big": 12345678901234567890}');
const nonObjectMetadata = Buffer.from('"just a string"');
const binary = Buffer.from([0, 1, 2, 255, 254, 0x7b]);

for (const batchAppend of [true, false]) {
  test(`raw bytes survive a write and a read through the real client (batchAppend: ${batchAppend})`, async (t) => {
    const emulator = await startEmulator({ port: 0, batchAppend });
    const client = EventStoreDBClient.connectionString(emulator.connectionString);
    t.after(async () => {
      await client.dispose();
      await emulator.stop();
    });
    const stream = `raw-${randomUUID()}`;
    const inputs = [
      {
        id: randomUUID(),
        type: 'json-awkward',
        contentType: 'application/json' as const,
        data: awkwardJson,
        metadata: awkwardMetadata,
      },
      {
        id: randomUUID(),
        type: 'json-plain-meta',
        contentType: 'application/json' as const,
        data: Buffer.from('[1, 2]'),
        metadata: nonObjectMetadata,
      },
      { id: randomUUID(), type: 'binary', contentType: 'application/octet-stream' as const, data: binary },
    ];
    await client.appendToStream(stream, inputs.map(rawEvent));
    // An ordinary event in the same stream is untouched by the hooks.
    await client.appendToStream(stream, jsonEvent({ type: 'ordinary', data: { n: 1 } }));

    const read: RecordedEvent[] = [];
    for await (const resolved of client.readStream(stream)) read.push(resolved.event!);
    assert.equal(read.length, 4);
    for (const [i, input] of inputs.entries()) {
      const event = read[i]!;
      assert.equal(event.id, input.id);
      assert.equal(event.type, input.type);
      const raw = rawBytesOf(event);
      assert.deepEqual(Buffer.from(raw.data), input.data, `data of ${input.type}`);
      assert.deepEqual(Buffer.from(raw.metadata), input.metadata ?? Buffer.alloc(0), `metadata of ${input.type}`);
    }
    assert.equal(read[2]!.isJson, false);
    assert.deepEqual(read[3]!.data, { n: 1 });
    assert.equal(Buffer.from(rawBytesOf(read[3]!).data).toString(), '{"n":1}');
  });
}
