import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { MethodDefinition } from '@grpc/proto-loader';
import { loadPackageDefinition } from '../../src/emulator/protos.js';
import { decodeBatchAppendReq } from '../../src/emulator/wire/batch-append-decoder.js';

const method = (
  loadPackageDefinition()['event_store.client.streams.Streams'] as Record<string, MethodDefinition<unknown, unknown>>
).BatchAppend as MethodDefinition<unknown, unknown>;

interface Uuidish {
  value?: string;
  string?: string | null;
  structured?: { most_significant_bits: string; least_significant_bits: string } | null;
}

/** The fields the BatchAppend handler reads, in a comparable form. */
function view(decoded: unknown): unknown {
  const d = decoded as {
    correlation_id: Uuidish | null;
    options: Record<string, unknown> | null;
    proposed_messages: {
      id: Uuidish | null;
      metadata: Record<string, string>;
      custom_metadata: Buffer;
      data: Buffer;
    }[];
    is_final: boolean;
  };
  const uuid = (u: Uuidish | null): unknown =>
    u === null
      ? null
      : u.value === 'string'
        ? ['s', u.string]
        : ['u', u.structured?.most_significant_bits, u.structured?.least_significant_bits];
  const o = d.options;
  const oneof = o?.expected_stream_position as string | undefined;
  return {
    correlation: uuid(d.correlation_id),
    options:
      o === null
        ? null
        : {
            stream: (o.stream_identifier as { stream_name: Buffer } | null)?.stream_name.toString('hex') ?? null,
            expected: oneof,
            position: oneof === 'stream_position' ? o.stream_position : undefined,
            deadline: o.deadline === null ? null : JSON.stringify(o.deadline),
          },
    proposed: d.proposed_messages.map((p) => ({
      id: uuid(p.id),
      metadata: { ...p.metadata },
      custom: p.custom_metadata.toString('hex'),
      data: p.data.toString('hex'),
    })),
    final: d.is_final,
  };
}

function randomInt64(): string {
  return BigInt.asIntN(64, BigInt(`0x${randomBytes(8).toString('hex')}`)).toString();
}

function randomUuid(i: number): unknown {
  return i % 3 === 0
    ? { structured: { most_significant_bits: randomInt64(), least_significant_bits: randomInt64() } }
    : { string: i % 5 === 0 ? 'not-a-uuid' : randomUUID() };
}

function randomRequest(i: number): unknown {
  const expected = [
    { stream_position: String(i % 7 === 0 ? '18446744073709551615' : i * 1000) },
    { no_stream: {} },
    { any: {} },
    { stream_exists: {} },
    {},
  ][i % 5];
  return {
    correlation_id: randomUuid(i),
    options:
      i % 4 === 3
        ? null
        : {
            stream_identifier: { stream_name: Buffer.from(`strëam-${i}`) },
            ...expected,
            ...(i % 2 === 0 ? { deadline: { seconds: String(1_700_000_000 + i), nanos: i * 1000 } } : {}),
          },
    proposed_messages: Array.from({ length: i % 4 }, (_, j) => ({
      id: randomUuid(i + j),
      metadata: j % 2 === 0 ? { type: `T-${j}-ü`, 'content-type': 'application/json', extra: '' } : { type: 'x' },
      custom_metadata: j % 3 === 0 ? Buffer.alloc(0) : randomBytes(j * 10),
      data: randomBytes((i * 37 + j) % 300),
    })),
    is_final: i % 3 !== 1,
  };
}

describe('emulator BatchAppendReq decoder', () => {
  it('decodes the fields the handler reads exactly like the generic decoder', () => {
    for (let i = 0; i < 300; i++) {
      const bytes = method.requestSerialize(randomRequest(i));
      assert.deepEqual(view(decodeBatchAppendReq(bytes)), view(method.requestDeserialize(bytes)), `request ${i}`);
    }
  });

  it('skips unknown fields and rejects truncated input (so the generic decoder takes over)', () => {
    const bytes = method.requestSerialize(randomRequest(2));
    const withUnknown = Buffer.concat([bytes, Buffer.from([0x78, 0x96, 0x01, 0x82, 0x01, 0x02, 0xaa, 0xbb])]);
    assert.deepEqual(view(decodeBatchAppendReq(withUnknown)), view(method.requestDeserialize(bytes)));
    assert.throws(() => decodeBatchAppendReq(bytes.subarray(0, bytes.length - 3)));
  });
});
