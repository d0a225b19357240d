// The hand-encoded BatchAppend success response, decoded with the generic (protobufjs) decoder of the same
// .proto files: every field the client reads must come back as the generic encoder would have sent it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MethodDefinition } from '@grpc/proto-loader';
import { loadPackageDefinition } from '../../src/emulator/protos.js';
import type { ExpectedRevision } from '../../src/emulator/store/types.js';
import { encodeBatchAppendSuccess, type BatchAppendSuccess } from '../../src/emulator/wire/batch-append-resp.js';

const streams = loadPackageDefinition()['event_store.client.streams.Streams'] as Record<
  string,
  MethodDefinition<unknown, unknown>
>;
const method = streams.BatchAppend as MethodDefinition<unknown, Record<string, unknown>>;
const decode = (buf: Buffer): Record<string, unknown> => method.responseDeserialize(buf);

function decoded(input: BatchAppendSuccess): Record<string, unknown> {
  return decode(encodeBatchAppendSuccess(input));
}

describe('emulator BatchAppend success encoding', () => {
  it('carries a string correlation id, the stream, the revision, the position and the expectation', () => {
    const r = decoded({
      correlationId: { string: '8f7c0c6e-0d0b-4d8e-9a57-3c2f5e1a9b10' },
      streamName: 'orders-ä-1',
      expected: { kind: 'revision', revision: 41n },
      currentRevision: 42n,
      position: 123_456_789,
    });
    assert.deepEqual((r.correlation_id as { string: string }).string, '8f7c0c6e-0d0b-4d8e-9a57-3c2f5e1a9b10');
    assert.equal((r.stream_identifier as { stream_name: Buffer }).stream_name.toString('utf8'), 'orders-ä-1');
    assert.equal(r.result, 'success');
    const success = r.success as Record<string, unknown>;
    assert.equal(success.current_revision, '42');
    assert.deepEqual(success.position, { commit_position: '123456789', prepare_position: '123456789' });
    assert.equal(r.expected_stream_position, 'stream_position');
    assert.equal(r.stream_position, '41');
  });

  it('carries a structured correlation id with negative halves, no_stream and no_position', () => {
    const r = decoded({
      correlationId: {
        structured: { most_significant_bits: '-8085107452453253713', least_significant_bits: '1234567890123' },
      },
      streamName: 's',
      expected: { kind: 'no_stream' },
      currentRevision: -1n,
      position: undefined,
    });
    assert.deepEqual((r.correlation_id as { structured: unknown }).structured, {
      most_significant_bits: '-8085107452453253713',
      least_significant_bits: '1234567890123',
    });
    const success = r.success as Record<string, unknown>;
    assert.equal(success.current_revision_option, 'no_stream');
    assert.equal(success.position_option, 'no_position');
    assert.equal(r.expected_stream_position, 'no_stream');
  });

  it('echoes every expectation kind, revision 0 included', () => {
    const kinds: [ExpectedRevision, string][] = [
      [{ kind: 'any' }, 'any'],
      [{ kind: 'stream_exists' }, 'stream_exists'],
      [{ kind: 'no_stream' }, 'no_stream'],
      [{ kind: 'revision', revision: 0n }, 'stream_position'],
    ];
    for (const [expected, field] of kinds) {
      const r = decoded({
        correlationId: { string: 'x' },
        streamName: 's',
        expected,
        currentRevision: 0n,
        position: 0,
      });
      assert.equal(r.expected_stream_position, field);
      assert.equal((r.success as Record<string, unknown>).current_revision, '0');
    }
  });
});
