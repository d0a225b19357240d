import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { Position } from '@eventstore/db-client';
import type { OriginEventFields } from '../../src/link/read/origin-event.js';
import { EventBatchPacker, unpackEventBatch } from '../../src/link/read/worker-event-batch.js';

const MAX_U64 = 2n ** 64n - 1n;

function fields(over: Partial<OriginEventFields> = {}): OriginEventFields {
  return {
    streamId: `s-${randomUUID()}`,
    id: randomUUID(),
    type: 'Type',
    revision: 0n,
    commit: 100n,
    prepare: 99n,
    createdMs: 1_700_000_000_123,
    isJson: true,
    data: Buffer.from('{"a":1}'),
    metadata: Buffer.alloc(0),
    ...over,
  };
}

function assertSame(event: OriginEventFields, expected: OriginEventFields): void {
  assert.equal(event.streamId, expected.streamId);
  assert.equal(event.id, expected.id);
  assert.equal(event.type, expected.type);
  assert.equal(event.revision, expected.revision);
  assert.equal(event.commit, expected.commit);
  assert.equal(event.prepare, expected.prepare);
  assert.equal(event.createdMs, expected.createdMs);
  assert.equal(event.isJson, expected.isJson);
  assert.deepEqual(Buffer.from(event.data), Buffer.from(expected.data));
  assert.deepEqual(Buffer.from(event.metadata), Buffer.from(expected.metadata));
}

type Unpacked = { event: OriginEventFields } | { checkpoint: Position };

function unpack(buffer: ArrayBuffer): Unpacked[] {
  const out: Unpacked[] = [];
  unpackEventBatch(buffer, {
    onEvent: (event) => out.push({ event }),
    onCheckpoint: (checkpoint) => out.push({ checkpoint }),
  });
  return out;
}

function eventsOf(items: Unpacked[]): OriginEventFields[] {
  return items.flatMap((i) => ('event' in i ? [i.event] : []));
}

/** Through a real MessageChannel with the buffer in the transfer list, as the worker posts it. */
async function transfer(buffer: ArrayBuffer): Promise<ArrayBuffer> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = once(port2, 'message');
    port1.postMessage(buffer, [buffer]);
    const [message] = (await received) as [ArrayBuffer];
    return message;
  } finally {
    port1.close();
    port2.close();
  }
}

describe('worker event batches', () => {
  it('round-trip every field and the checkpoints between events through a transferred buffer', async () => {
    const events = [
      fields({ streamId: 'ordérs-日本-🚀', type: 'Typé-✓', metadata: Buffer.from('{"$correlationId":"ü"}') }),
      fields({ data: Buffer.alloc(0), metadata: Buffer.alloc(0), isJson: false, type: '' }),
      fields({ data: randomBytes(3 * 1024 * 1024), isJson: false, metadata: randomBytes(1000) }),
      fields({ revision: MAX_U64 >> 1n, commit: MAX_U64, prepare: MAX_U64 - 1n, createdMs: 0, id: 'not-a-uuid' }),
      fields({ createdMs: -62_135_596_800_000, revision: 2n ** 53n + 1n }),
    ];
    const checkpoints: Position[] = [
      { commit: 5n, prepare: 4n },
      { commit: MAX_U64, prepare: MAX_U64 - 7n },
    ];
    const packer = new EventBatchPacker();
    packer.addCheckpoint(checkpoints[0]!);
    for (const e of events.slice(0, 3)) packer.add(e);
    packer.addCheckpoint(checkpoints[1]!);
    for (const e of events.slice(3)) packer.add(e);
    assert.equal(packer.count, events.length, 'count is events only');
    assert.equal(packer.entries, events.length + 2);
    const buffer = packer.take();
    assert.equal(packer.count, 0, 'take() empties the packer');
    assert.equal(packer.entries, 0);
    const size = buffer.byteLength;
    const received = await transfer(buffer);
    assert.equal(buffer.byteLength, 0, 'the buffer was transferred, not copied');
    assert.equal(received.byteLength, size);
    const out = unpack(received);
    assert.deepEqual(
      out.map((i) => ('event' in i ? 'event' : i.checkpoint)),
      [checkpoints[0], 'event', 'event', 'event', checkpoints[1], 'event', 'event'],
      'entries keep their order',
    );
    const unpacked = eventsOf(out);
    for (const [i, e] of events.entries()) assertSame(unpacked[i]!, e);
    // Each event's data and metadata share one copy, outside the batch: a waiting event must not pin the
    // batch, only (small payloads) one slab of Node's pool or (large ones) its own bytes.
    for (const e of unpacked) {
      const raw = e;
      assert.notEqual(raw.data.buffer, received);
      assert.notEqual(raw.metadata.buffer, received);
      if (raw.metadata.length > 0) {
        assert.equal(raw.data.buffer, raw.metadata.buffer);
        assert.equal(raw.metadata.byteOffset, raw.data.byteOffset + raw.data.length);
      }
      assert.ok(raw.data.buffer.byteLength <= Math.max(Buffer.poolSize, raw.data.length + raw.metadata.length));
    }
  });

  it('packs a batch of checkpoints only', () => {
    const packer = new EventBatchPacker();
    packer.addCheckpoint({ commit: 1n, prepare: 1n });
    assert.deepEqual(unpack(packer.take()), [{ checkpoint: { commit: 1n, prepare: 1n } }]);
  });

  it('packs the input bytes, not the views’ backing buffers, and keeps batches independent', () => {
    const backing = Buffer.from('xxxxDATAyyyyMETAzzzz');
    const packer = new EventBatchPacker();
    const first = fields({ data: backing.subarray(4, 8), metadata: backing.subarray(12, 16) });
    packer.add(first);
    const a = packer.take();
    const second = fields({ streamId: 'second' });
    packer.add(second);
    const b = packer.take();
    backing.fill(0);
    assertSame(eventsOf(unpack(a))[0]!, { ...first, data: Buffer.from('DATA'), metadata: Buffer.from('META') });
    const unpackedB = eventsOf(unpack(b));
    assert.equal(unpackedB.length, 1);
    assertSame(unpackedB[0]!, second);
  });

  it('keeps the order of many events', () => {
    const events = Array.from({ length: 1000 }, (_, i) =>
      fields({ revision: BigInt(i), commit: BigInt(1000 + i), prepare: BigInt(1000 + i), type: `t${i % 7}` }),
    );
    const packer = new EventBatchPacker();
    for (const e of events) packer.add(e);
    const out = eventsOf(unpack(packer.take()));
    assert.equal(out.length, events.length);
    for (const [i, e] of events.entries()) assertSame(out[i]!, e);
  });

  it('decodes repeated, near-identical and look-alike stream names and types exactly, within and across batches', () => {
    // "Ã©" is U+00C3 U+00A9: two characters whose codes are the two UTF-8 bytes of "é".
    const names = ['s-1', 's-1', 's-2', 's-1', 'Ã©', 'é', 'é', 'Ã©', '', 'é', 's-10', 's-1', 's-1'];
    const batches = [names, [...names].reverse()].map((run) => {
      const packer = new EventBatchPacker();
      const events = run.map((name, i) =>
        fields({ streamId: name, type: run[(i + 3) % run.length]!, revision: BigInt(i) }),
      );
      for (const e of events) packer.add(e);
      return { events, buffer: packer.take() };
    });
    for (const { events, buffer } of batches) {
      const out = eventsOf(unpack(buffer));
      assert.equal(out.length, events.length);
      for (const [i, e] of events.entries()) assertSame(out[i]!, e);
    }
  });
});
