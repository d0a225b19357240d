// The hand-written append encoding, cross-checked with the client's own generated google-protobuf classes:
// requests encoded here are decoded with theirs, responses built with theirs are decoded here.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AccessDeniedError,
  DeadlineExceededError,
  MaxAppendSizeExceededError,
  StreamDeletedError,
  UnknownError,
  WrongExpectedVersionError,
  type AppendExpectedRevision,
} from '@eventstore/db-client';
import { appendFailureError } from '../../src/client/append-errors.js';
import type { RawEventInput } from '../../src/client/raw-bytes.js';
import {
  decodeAppendResp,
  decodeBatchAppendResp,
  encodeAppendRequests,
  encodeBatchAppendRequests,
  type AppendFailure,
} from '../../src/client/wire/append-codec.js';
import { streamsPb, sharedPb, statusPb, anyPb, emptyPb } from '../helpers/client-protos.js';

type ProposedMessage = InstanceType<typeof streamsPb.BatchAppendReq.ProposedMessage>;

const BIG = 2n ** 60n + 7n; // above 2^53: a Number would lose it
const STREAM = 'stréam-ü-😀';

function events(): RawEventInput[] {
  return [
    {
      id: randomUUID(),
      type: 'Tÿpe-ü',
      contentType: 'application/json',
      data: Buffer.from('{ "n" : 9223372036854775807 ,\n "s":"é" }'),
      metadata: Buffer.from('{"$correlationId":"c",  "x": 1.50}'),
    },
    { id: randomUUID(), type: 'Empty', contentType: 'application/octet-stream', data: new Uint8Array(0) },
    {
      id: randomUUID(),
      type: 'Binary',
      contentType: 'application/octet-stream',
      data: new Uint8Array([0, 255, 1, 254]),
      metadata: new Uint8Array(0),
    },
  ];
}

function assertProposed(actual: ProposedMessage | undefined, expected: RawEventInput, what: string): void {
  assert.ok(actual, what);
  assert.equal(actual.getId()?.getString(), expected.id, `${what}: id`);
  const map = actual.getMetadataMap();
  assert.equal(map.get('type'), expected.type, `${what}: type`);
  assert.equal(map.get('content-type'), expected.contentType, `${what}: content-type`);
  assert.equal(map.getLength(), 2, `${what}: metadata keys`);
  assert.deepEqual(Buffer.from(actual.getData_asU8()), Buffer.from(expected.data), `${what}: data`);
  assert.deepEqual(
    Buffer.from(actual.getCustomMetadata_asU8()),
    Buffer.from(expected.metadata ?? new Uint8Array(0)),
    `${what}: custom metadata`,
  );
}

const EXPECTATIONS: { expected: AppendExpectedRevision; batchCase: number; appendCase: number }[] = [
  { expected: BIG, batchCase: 2, appendCase: 2 },
  { expected: 0n, batchCase: 2, appendCase: 2 },
  { expected: 'no_stream', batchCase: 3, appendCase: 3 },
  { expected: 'any', batchCase: 4, appendCase: 4 },
  { expected: 'stream_exists', batchCase: 5, appendCase: 5 },
];

describe('append codec: BatchAppendReq', () => {
  for (const { expected, batchCase } of EXPECTATIONS) {
    it(`encodes options, events and is_final as the client's classes read them (expected ${String(expected)})`, () => {
      const input = events();
      const correlationId = randomUUID();
      const deadline = new Date(1_700_000_000_123);
      const chunks = encodeBatchAppendRequests({ correlationId, stream: STREAM, expected, deadline, events: input });
      assert.equal(chunks.length, 1);
      const req = streamsPb.BatchAppendReq.deserializeBinary(chunks[0]!);
      assert.equal(req.getCorrelationId()?.getString(), correlationId);
      assert.equal(req.getIsFinal(), true);
      const options = req.getOptions();
      assert.ok(options);
      assert.equal(Buffer.from(options.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8'), STREAM);
      assert.equal(options.getExpectedStreamPositionCase(), batchCase);
      if (typeof expected === 'bigint') assert.equal(options.getStreamPosition(), expected.toString());
      assert.equal(options.getDeadline()?.getSeconds(), 1_700_000_000);
      assert.equal(options.getDeadline()?.getNanos(), 123_000_000);
      const proposed = req.getProposedMessagesList();
      assert.equal(proposed.length, input.length);
      input.forEach((e, i) => assertProposed(proposed[i], e, `event ${i}`));
    });
  }

  it('encodes an append of no events (one final chunk with the options)', () => {
    const [chunk, ...rest] = encodeBatchAppendRequests({
      correlationId: randomUUID(),
      stream: 's',
      expected: 'any',
      deadline: new Date(2_000),
      events: [],
    });
    assert.equal(rest.length, 0);
    const req = streamsPb.BatchAppendReq.deserializeBinary(chunk!);
    assert.equal(req.getIsFinal(), true);
    assert.equal(req.getProposedMessagesList().length, 0);
    assert.equal(req.getOptions()?.getDeadline()?.getSeconds(), 2);
    assert.equal(req.getOptions()?.getDeadline()?.getNanos(), 0);
  });

  it('splits above the chunk size: one correlation id, options first, is_final last, every event once in order', () => {
    const input: RawEventInput[] = Array.from({ length: 25 }, (_, i) => ({
      id: randomUUID(),
      type: `T${i}`,
      contentType: 'application/octet-stream' as const,
      data: Buffer.alloc(300 + i, i),
    }));
    const correlationId = randomUUID();
    const maxChunkBytes = 1_000;
    const chunks = encodeBatchAppendRequests({
      correlationId,
      stream: STREAM,
      expected: 'no_stream',
      deadline: new Date(5_000),
      events: input,
      maxChunkBytes,
    });
    assert.ok(chunks.length > 5, `${chunks.length} chunks`);
    const seen: ProposedMessage[] = [];
    chunks.forEach((chunk, i) => {
      const req = streamsPb.BatchAppendReq.deserializeBinary(chunk);
      assert.equal(req.getCorrelationId()?.getString(), correlationId, `chunk ${i}: correlation id`);
      assert.equal(req.hasOptions(), i === 0, `chunk ${i}: options`);
      assert.equal(req.getIsFinal(), i === chunks.length - 1, `chunk ${i}: is_final`);
      const list = req.getProposedMessagesList();
      assert.ok(list.length > 0, `chunk ${i} carries events`);
      const proposedBytes = list.reduce((n, m) => n + m.serializeBinary().length + 3, 0);
      assert.ok(proposedBytes <= maxChunkBytes, `chunk ${i}: ${proposedBytes} bytes of events`);
      seen.push(...list);
    });
    assert.equal(seen.length, input.length);
    input.forEach((e, i) => assertProposed(seen[i], e, `event ${i}`));
  });

  it('gives an event larger than the chunk size a chunk of its own', () => {
    const big = {
      id: randomUUID(),
      type: 'Big',
      contentType: 'application/octet-stream' as const,
      data: Buffer.alloc(5_000, 1),
    };
    const small = {
      id: randomUUID(),
      type: 'S',
      contentType: 'application/octet-stream' as const,
      data: Buffer.alloc(10),
    };
    const chunks = encodeBatchAppendRequests({
      correlationId: randomUUID(),
      stream: 's',
      expected: 'any',
      deadline: new Date(5_000),
      events: [small, big, small],
      maxChunkBytes: 1_000,
    });
    const counts = chunks.map((c) => streamsPb.BatchAppendReq.deserializeBinary(c).getProposedMessagesList().length);
    assert.deepEqual(counts, [1, 1, 1]);
  });
});

describe('append codec: AppendReq (classic)', () => {
  for (const { expected, appendCase } of EXPECTATIONS) {
    it(`encodes the options message, then one message per event (expected ${String(expected)})`, () => {
      const input = events();
      const messages = encodeAppendRequests(STREAM, expected, input);
      assert.equal(messages.length, input.length + 1);
      const head = streamsPb.AppendReq.deserializeBinary(messages[0]!);
      assert.equal(head.getContentCase(), streamsPb.AppendReq.ContentCase.OPTIONS);
      const options = head.getOptions()!;
      assert.equal(Buffer.from(options.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8'), STREAM);
      assert.equal(options.getExpectedStreamRevisionCase(), appendCase);
      if (typeof expected === 'bigint') assert.equal(options.getRevision(), expected.toString());
      input.forEach((e, i) => {
        const req = streamsPb.AppendReq.deserializeBinary(messages[i + 1]!);
        assert.equal(req.getContentCase(), streamsPb.AppendReq.ContentCase.PROPOSED_MESSAGE);
        assertProposed(req.getProposedMessage(), e, `event ${i}`);
      });
    });
  }
});

function uuidString(id: string) {
  return new sharedPb.UUID().setString(id);
}

function streamIdentifier(name: string) {
  return new sharedPb.StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'));
}

function statusWith(
  typeName: string,
  value: Uint8Array,
  code = 6,
  message = 'Failed',
): InstanceType<typeof statusPb.Status> {
  const any = new anyPb.Any();
  any.pack(value, `event_store.client.${typeName}`);
  return new statusPb.Status().setCode(code).setMessage(message).setDetails(any);
}

function batchError(status: InstanceType<typeof statusPb.Status>, id = randomUUID()): Buffer {
  const resp = new streamsPb.BatchAppendResp()
    .setCorrelationId(uuidString(id))
    .setStreamIdentifier(streamIdentifier(STREAM))
    .setError(status);
  return Buffer.from(resp.serializeBinary());
}

function failureOf(buf: Buffer): AppendFailure {
  const outcome = decodeBatchAppendResp(buf).outcome;
  assert.notEqual(outcome.kind, 'success');
  return outcome as AppendFailure;
}

describe('append codec: BatchAppendResp', () => {
  it('decodes a success with a revision and position above 2^53, and the correlation id and stream', () => {
    const id = randomUUID();
    const success = new streamsPb.BatchAppendResp.Success()
      .setCurrentRevision(BIG.toString())
      .setPosition(
        new sharedPb.AllStreamPosition()
          .setCommitPosition((BIG + 1n).toString())
          .setPreparePosition((BIG + 2n).toString()),
      );
    const resp = new streamsPb.BatchAppendResp()
      .setCorrelationId(uuidString(id))
      .setStreamIdentifier(streamIdentifier(STREAM))
      .setStreamPosition('41')
      .setSuccess(success);
    const decoded = decodeBatchAppendResp(Buffer.from(resp.serializeBinary()));
    assert.equal(decoded.correlationId, id);
    assert.equal(decoded.streamName, STREAM);
    assert.deepEqual(decoded.outcome, {
      kind: 'success',
      currentRevision: BIG,
      position: { commit: BIG + 1n, prepare: BIG + 2n },
    });
  });

  it('decodes revision 0, no_stream and no_position', () => {
    const zero = new streamsPb.BatchAppendResp()
      .setCorrelationId(uuidString(randomUUID()))
      .setSuccess(new streamsPb.BatchAppendResp.Success().setCurrentRevision('0').setNoPosition(new emptyPb.Empty()));
    assert.deepEqual(decodeBatchAppendResp(Buffer.from(zero.serializeBinary())).outcome, {
      kind: 'success',
      currentRevision: 0n,
      position: undefined,
    });
    const none = new streamsPb.BatchAppendResp()
      .setCorrelationId(uuidString(randomUUID()))
      .setSuccess(new streamsPb.BatchAppendResp.Success().setNoStream(new emptyPb.Empty()));
    assert.equal(
      (decodeBatchAppendResp(Buffer.from(none.serializeBinary())).outcome as { currentRevision: bigint })
        .currentRevision,
      -1n,
    );
  });

  it('reads a structured correlation id as the canonical text', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const msb = BigInt.asIntN(64, BigInt('0x0f8fad5bd9cb469f'));
    const lsb = BigInt.asIntN(64, BigInt('0xa16570867728950e'));
    const uuid = new sharedPb.UUID().setStructured(
      new sharedPb.UUID.Structured().setMostSignificantBits(msb.toString()).setLeastSignificantBits(lsb.toString()),
    );
    const resp = new streamsPb.BatchAppendResp()
      .setCorrelationId(uuid)
      .setSuccess(new streamsPb.BatchAppendResp.Success().setCurrentRevision('1'));
    assert.equal(decodeBatchAppendResp(Buffer.from(resp.serializeBinary())).correlationId, id);
  });

  it('unpacks WrongExpectedVersion: current revision above 2^53 and every expectation', () => {
    const cases: [InstanceType<typeof sharedPb.WrongExpectedVersion>, AppendFailure][] = [
      [
        new sharedPb.WrongExpectedVersion().setCurrentStreamRevision(BIG.toString()).setExpectedStreamPosition('3'),
        { kind: 'wrong-expected-version', current: BIG, expected: 3n },
      ],
      [
        new sharedPb.WrongExpectedVersion().setCurrentStreamRevision('0').setExpectedNoStream(new emptyPb.Empty()),
        { kind: 'wrong-expected-version', current: 0n, expected: 'no_stream' },
      ],
      [
        new sharedPb.WrongExpectedVersion()
          .setCurrentNoStream(new emptyPb.Empty())
          .setExpectedStreamExists(new emptyPb.Empty()),
        { kind: 'wrong-expected-version', current: 'no_stream', expected: 'stream_exists' },
      ],
      [
        new sharedPb.WrongExpectedVersion().setCurrentStreamRevision('5').setExpectedAny(new emptyPb.Empty()),
        { kind: 'wrong-expected-version', current: 5n, expected: 'any' },
      ],
      [
        new sharedPb.WrongExpectedVersion().setCurrentStreamRevision('5').setExpectedStreamPosition('0'),
        { kind: 'wrong-expected-version', current: 5n, expected: 0n },
      ],
    ];
    for (const [details, expected] of cases) {
      assert.deepEqual(failureOf(batchError(statusWith('WrongExpectedVersion', details.serializeBinary()))), expected);
    }
  });

  it('unpacks StreamDeleted, AccessDenied, Timeout, Unknown, MaximumAppendSizeExceeded and unknown details', () => {
    const deleted = new sharedPb.StreamDeleted().setStreamIdentifier(streamIdentifier(STREAM));
    assert.deepEqual(failureOf(batchError(statusWith('StreamDeleted', deleted.serializeBinary()))), {
      kind: 'stream-deleted',
    });
    assert.deepEqual(failureOf(batchError(statusWith('AccessDenied', new Uint8Array(0)))), { kind: 'access-denied' });
    assert.deepEqual(failureOf(batchError(statusWith('Timeout', new Uint8Array(0)))), { kind: 'timeout' });
    assert.deepEqual(failureOf(batchError(statusWith('Unknown', new Uint8Array(0)))), { kind: 'unknown' });
    const max = new sharedPb.MaximumAppendSizeExceeded().setMaxappendsize(1_048_576);
    assert.deepEqual(failureOf(batchError(statusWith('MaximumAppendSizeExceeded', max.serializeBinary()))), {
      kind: 'maximum-append-size-exceeded',
      maxAppendSize: 1_048_576,
    });
    const bad = new sharedPb.BadRequest().setMessage('nope');
    assert.deepEqual(failureOf(batchError(statusWith('BadRequest', bad.serializeBinary(), 3, 'BadRequest'))), {
      kind: 'unrecognized',
      code: 3,
      message: 'BadRequest',
      typeName: 'event_store.client.BadRequest',
    });
    const bare = new streamsPb.BatchAppendResp()
      .setCorrelationId(uuidString(randomUUID()))
      .setError(new statusPb.Status().setCode(2).setMessage('no details'));
    assert.deepEqual(failureOf(Buffer.from(bare.serializeBinary())), {
      kind: 'unrecognized',
      code: 2,
      message: 'no details',
      typeName: '',
    });
  });

  it('refuses a response with neither error nor success', () => {
    const resp = new streamsPb.BatchAppendResp().setCorrelationId(uuidString(randomUUID()));
    assert.throws(() => decodeBatchAppendResp(Buffer.from(resp.serializeBinary())), RangeError);
    assert.throws(() => decodeBatchAppendResp(Buffer.from([0x0a, 0x05, 0x01])), RangeError);
  });
});

describe('append codec: AppendResp (classic)', () => {
  it('decodes a success with a revision and position above 2^53', () => {
    const resp = new streamsPb.AppendResp().setSuccess(
      new streamsPb.AppendResp.Success()
        .setCurrentRevision(BIG.toString())
        .setPosition(
          new streamsPb.AppendResp.Position()
            .setCommitPosition(BIG.toString())
            .setPreparePosition((BIG - 1n).toString()),
        ),
    );
    assert.deepEqual(decodeAppendResp(Buffer.from(resp.serializeBinary())), {
      kind: 'success',
      currentRevision: BIG,
      position: { commit: BIG, prepare: BIG - 1n },
    });
  });

  it('decodes wrong_expected_version from the current fields, as the v6 client reads them', () => {
    const wev = new streamsPb.AppendResp.WrongExpectedVersion()
      .setCurrentRevision2060(1)
      .setExpectedRevision2060(0)
      .setCurrentRevision(BIG.toString())
      .setExpectedRevision('4');
    assert.deepEqual(
      decodeAppendResp(Buffer.from(new streamsPb.AppendResp().setWrongExpectedVersion(wev).serializeBinary())),
      {
        kind: 'wrong-expected-version',
        current: BIG,
        expected: 4n,
      },
    );
    const noStream = new streamsPb.AppendResp.WrongExpectedVersion()
      .setCurrentNoStream(new sharedPb.Empty())
      .setExpectedStreamExists(new sharedPb.Empty());
    assert.deepEqual(
      decodeAppendResp(Buffer.from(new streamsPb.AppendResp().setWrongExpectedVersion(noStream).serializeBinary())),
      { kind: 'wrong-expected-version', current: 'no_stream', expected: 'stream_exists' },
    );
    const expectedNoStream = new streamsPb.AppendResp.WrongExpectedVersion()
      .setCurrentRevision('0')
      .setExpectedNoStream(new sharedPb.Empty());
    assert.deepEqual(
      decodeAppendResp(
        Buffer.from(new streamsPb.AppendResp().setWrongExpectedVersion(expectedNoStream).serializeBinary()),
      ),
      { kind: 'wrong-expected-version', current: 0n, expected: 'no_stream' },
    );
  });

  it('falls back to the 20.6.0 fields when only those are set', () => {
    const wev = new streamsPb.AppendResp.WrongExpectedVersion()
      .setCurrentRevision2060(Number.MAX_SAFE_INTEGER)
      .setAny2060(new sharedPb.Empty());
    assert.deepEqual(
      decodeAppendResp(Buffer.from(new streamsPb.AppendResp().setWrongExpectedVersion(wev).serializeBinary())),
      {
        kind: 'wrong-expected-version',
        current: BigInt(Number.MAX_SAFE_INTEGER),
        expected: 'any',
      },
    );
  });
});

describe('append failures as the client error classes', () => {
  it('maps each failure to the class the stock client raises', () => {
    const wev = appendFailureError({ kind: 'wrong-expected-version', current: BIG, expected: 3n }, STREAM);
    assert.ok(wev instanceof WrongExpectedVersionError);
    assert.equal(wev.actualVersion, BIG);
    assert.equal(wev.expectedVersion, 3n);
    assert.equal(wev.streamName, STREAM);
    const none = appendFailureError(
      { kind: 'wrong-expected-version', current: 'no_stream', expected: 'stream_exists' },
      STREAM,
    );
    assert.ok(none instanceof WrongExpectedVersionError);
    assert.equal(none.actualVersion, 'no_stream');
    const deleted = appendFailureError({ kind: 'stream-deleted' }, STREAM);
    assert.ok(deleted instanceof StreamDeletedError);
    assert.equal(deleted.streamName, STREAM);
    assert.ok(appendFailureError({ kind: 'access-denied' }, STREAM) instanceof AccessDeniedError);
    assert.ok(appendFailureError({ kind: 'timeout' }, STREAM) instanceof DeadlineExceededError);
    assert.ok(appendFailureError({ kind: 'unknown' }, STREAM) instanceof UnknownError);
    const max = appendFailureError({ kind: 'maximum-append-size-exceeded', maxAppendSize: 42 }, STREAM);
    assert.ok(max instanceof MaxAppendSizeExceededError);
    assert.equal(max.maxAppendSize, 42);
    const other = appendFailureError({ kind: 'unrecognized', code: 3, message: 'BadRequest', typeName: 'x' }, STREAM);
    assert.ok(other instanceof UnknownError);
    assert.match(other.message, /BadRequest/);
  });
});
