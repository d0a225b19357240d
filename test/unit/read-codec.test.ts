// The hand-written ReadReq/ReadResp codec against @eventstore/db-client 6.2.1's own generated classes and
// conversions: every response is built with `streams_pb`, serialized, decoded by us and compared with what the
// client's `convertGrpcEvent` makes of the same bytes; every request we encode is parsed back with `streams_pb`
// and compared byte for byte with the request the client's `subscribeToAll` builds for the same options.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type * as StreamsPb from '@eventstore/db-client/generated/streams_pb.js';
import {
  decodeReadResp,
  encodeSubscribeToAllReq,
  type ReadRespEvent,
  type ReadRespMessage,
  type SubscribeToAllRequest,
} from '../../src/client/wire/read-codec.js';
import { isLinkerError } from '../../src/shared/errors.js';
import { ProtoWriter } from '../../src/shared/protobuf/proto-writer.js';
import { sharedPb, streamsPb } from '../helpers/client-protos.js';

const require = createRequire(import.meta.url);
const pb = streamsPb;
const shared = sharedPb;
const { convertGrpcEvent } = require('@eventstore/db-client/dist/utils/convertGrpcEvent.js') as {
  convertGrpcEvent(e: StreamsPb.ReadResp.ReadEvent): {
    event?: {
      streamId: string;
      id: string;
      revision: bigint;
      type: string;
      isJson: boolean;
      created: Date;
      position?: { commit: bigint; prepare: bigint };
    };
    link?: object;
    commitPosition?: bigint;
  };
};

const RecordedEvent = pb.ReadResp.ReadEvent.RecordedEvent;
type Recorded = StreamsPb.ReadResp.ReadEvent.RecordedEvent;

interface RecordSpec {
  id?: string | { msb: bigint; lsb: bigint } | null;
  streamName?: string | Uint8Array | null;
  revision?: bigint;
  commit?: bigint;
  prepare?: bigint;
  metadata?: [string, string][];
  data?: Uint8Array;
  customMetadata?: Uint8Array;
}

function recorded(spec: RecordSpec): Recorded {
  const r = new RecordedEvent();
  if (spec.id !== null) {
    const uuid = new shared.UUID();
    const id = spec.id ?? '0f8fad5b-d9cb-469f-a165-70867728950e';
    if (typeof id === 'string') uuid.setString(id);
    else {
      const s = new shared.UUID.Structured();
      s.setMostSignificantBits(BigInt.asIntN(64, id.msb).toString());
      s.setLeastSignificantBits(BigInt.asIntN(64, id.lsb).toString());
      uuid.setStructured(s);
    }
    r.setId(uuid);
  }
  if (spec.streamName !== null) {
    const sid = new shared.StreamIdentifier();
    const name = spec.streamName ?? 'stream-1';
    sid.setStreamName(typeof name === 'string' ? Buffer.from(name, 'utf8') : name);
    r.setStreamIdentifier(sid);
  }
  r.setStreamRevision((spec.revision ?? 0n).toString());
  r.setCommitPosition((spec.commit ?? 0n).toString());
  r.setPreparePosition((spec.prepare ?? 0n).toString());
  const map = r.getMetadataMap();
  for (const [k, v] of spec.metadata ?? []) map.set(k, v);
  if (spec.data) r.setData(spec.data);
  if (spec.customMetadata) r.setCustomMetadata(spec.customMetadata);
  return r;
}

function eventResp(
  event: Recorded | undefined,
  extra: { link?: Recorded; commitPosition?: bigint | null } = {},
): StreamsPb.ReadResp {
  const re = new pb.ReadResp.ReadEvent();
  if (event) re.setEvent(event);
  if (extra.link) re.setLink(extra.link);
  if (extra.commitPosition === null) re.setNoPosition(new shared.Empty());
  else re.setCommitPosition((extra.commitPosition ?? event?.getCommitPosition() ?? '0').toString());
  const resp = new pb.ReadResp();
  resp.setEvent(re);
  return resp;
}

const bytesOf = (m: { serializeBinary(): Uint8Array }): Buffer => Buffer.from(m.serializeBinary());

function asEvent(message: ReadRespMessage): ReadRespEvent {
  if (message.kind !== 'event') assert.fail(`expected an event, got ${message.kind}`);
  return message;
}

/** Ours against the client's conversion of the same bytes, field by field (raw bytes against the pb's). */
function assertSameAsClient(buf: Buffer): ReadRespEvent {
  const ours = asEvent(decodeReadResp(buf));
  const readEvent = pb.ReadResp.deserializeBinary(buf).getEvent()!;
  const theirs = convertGrpcEvent(readEvent);
  const e = theirs.event!;
  assert.equal(ours.streamId, e.streamId);
  assert.equal(ours.id, e.id);
  assert.equal(ours.revision, e.revision);
  assert.equal(ours.type, e.type);
  assert.equal(ours.isJson, e.isJson);
  assert.equal(ours.createdMs, e.created.getTime());
  assert.deepEqual({ commit: ours.commit, prepare: ours.prepare }, e.position);
  assert.equal(ours.link, theirs.link !== undefined);
  assert.equal(ours.commitPosition, theirs.commitPosition);
  const record = readEvent.getEvent()!;
  assert.deepEqual(ours.data, Buffer.from(record.getData_asU8()));
  assert.deepEqual(ours.metadata, Buffer.from(record.getCustomMetadata_asU8()));
  assert.equal(ours.contentType, record.getMetadataMap().get('content-type') ?? 'application/octet-stream');
  return ours;
}

const TICKS = '17000000001234567'; // 2023-11-14T22:13:20.123Z in .NET ticks since the Unix epoch
const BIG = 2n ** 62n + 12345n; // above 2^53: a double would round it

describe('decodeReadResp', () => {
  it('decodes a JSON event with a string id, metadata and 64-bit revision and positions like the client', () => {
    const data = Buffer.from('{ "a": 9223372036854775807 }');
    const customMetadata = Buffer.from('{"$correlationId":"c"}');
    const buf = bytesOf(
      eventResp(
        recorded({
          id: '0F8FAD5B-D9CB-469F-A165-70867728950E',
          streamName: 'orders-ü-🚀',
          revision: BIG,
          commit: BIG + 2n,
          prepare: BIG + 1n,
          metadata: [
            ['type', 'OrderPlaced'],
            ['content-type', 'application/json'],
            ['created', TICKS],
          ],
          data,
          customMetadata,
        }),
      ),
    );
    const ours = assertSameAsClient(buf);
    assert.equal(ours.id, '0F8FAD5B-D9CB-469F-A165-70867728950E', 'a string id is kept as sent');
    assert.equal(ours.revision, BIG);
    assert.equal(ours.commit, BIG + 2n);
    assert.equal(ours.createdMs, 1_700_000_000_123);
    assert.equal(ours.streamId, 'orders-ü-🚀');
    assert.equal(ours.isJson, true);
    // Views, not copies: the bytes live in the response buffer.
    assert.equal(ours.data.buffer, buf.buffer);
    assert.deepEqual(ours.data, data);
    assert.deepEqual(ours.metadata, customMetadata);
  });

  it('decodes structured ids (negative int64 halves) to the client’s canonical text', () => {
    for (const text of ['f81d4fae-7dec-41d0-a765-00a0c91e6bf6', '0f8fad5b-d9cb-469f-a165-70867728950e']) {
      const hex = text.replace(/-/g, '');
      const id = { msb: BigInt(`0x${hex.slice(0, 16)}`), lsb: BigInt(`0x${hex.slice(16)}`) };
      const buf = bytesOf(
        eventResp(
          recorded({ id, metadata: [['content-type', 'application/octet-stream']], data: Buffer.from([0, 255]) }),
        ),
      );
      const ours = assertSameAsClient(buf);
      assert.equal(ours.id, text);
      assert.equal(ours.isJson, false);
    }
  });

  it('gives the client’s defaults for missing or empty parts and lets later map entries win', () => {
    // No map at all, no data, no custom metadata, revision and positions 0.
    let ours = assertSameAsClient(bytesOf(eventResp(recorded({}))));
    assert.equal(ours.type, '<no-event-type-provided>');
    assert.equal(ours.contentType, 'application/octet-stream');
    assert.equal(ours.createdMs, 0);
    assert.equal(ours.data.length, 0);
    assert.equal(ours.metadata.length, 0);
    assert.equal(ours.revision, 0n);

    // Empty values, unknown keys, and a duplicated key sent twice (map entries concatenated by hand).
    const base = bytesOf(
      recorded({
        metadata: [
          ['type', 'first'],
          ['x-other', 'ignored'],
          ['content-type', ''],
        ],
      }),
    );
    const dup = new ProtoWriter().bytes(6, new ProtoWriter().string(1, 'type').string(2, 'second').finish()).finish();
    const record = Buffer.concat([base, dup]);
    const resp = new ProtoWriter().bytes(1, new ProtoWriter().bytes(1, record).finish()).finish();
    ours = assertSameAsClient(resp);
    assert.equal(ours.type, 'second');
    assert.equal(ours.contentType, '');
    assert.equal(ours.isJson, false);
  });

  for (const created of [
    '',
    '123',
    '-17000000001234567',
    ' 17000000001234567',
    '0x10000',
    'soon',
    '99999999999999999999999',
  ]) {
    it(`converts created ${JSON.stringify(created)} exactly as the client does`, () => {
      assertSameAsClient(bytesOf(eventResp(recorded({ metadata: [['created', created]] }))));
    });
  }

  it('reports a link and a missing commit position like the client', () => {
    const link = recorded({ streamName: '$ce-orders', revision: 3n });
    const ours = assertSameAsClient(
      bytesOf(eventResp(recorded({ commit: 10n, prepare: 9n }), { link, commitPosition: null })),
    );
    assert.equal(ours.link, true);
    assert.equal(ours.commitPosition, undefined);
    // A ReadEvent with only a link (its target is gone): nothing to copy.
    assert.deepEqual(decodeReadResp(bytesOf(eventResp(undefined, { link }))), { kind: 'other', field: 1 });
  });

  it('skips unknown fields at every level', () => {
    const unknown = new ProtoWriter()
      .uint64(15, 2n ** 63n)
      .string(16, 'future')
      .finish();
    const uuid = Buffer.concat([bytesOf(new shared.UUID().setString('id-1')), unknown]);
    const record = Buffer.concat([
      new ProtoWriter().bytes(1, uuid).finish(),
      bytesOf(recorded({ id: null, streamName: 's-1', revision: 7n, metadata: [['type', 't']] })),
      unknown,
    ]);
    const readEvent = Buffer.concat([new ProtoWriter().bytes(1, record).finish(), unknown]);
    const resp = Buffer.concat([unknown, new ProtoWriter().bytes(1, readEvent).finish(), unknown]);
    const ours = assertSameAsClient(resp);
    assert.equal(ours.id, 'id-1');
    assert.equal(ours.revision, 7n);
  });

  it('decodes checkpoint, caught_up, fell_behind, confirmation and stream_not_found', () => {
    const cp = new pb.ReadResp.Checkpoint();
    cp.setCommitPosition((BIG + 5n).toString());
    cp.setPreparePosition((BIG + 4n).toString());
    const checkpoint = new pb.ReadResp();
    checkpoint.setCheckpoint(cp);
    assert.deepEqual(decodeReadResp(bytesOf(checkpoint)), { kind: 'checkpoint', commit: BIG + 5n, prepare: BIG + 4n });
    // A newer server's extra checkpoint fields are skipped.
    const newer = Buffer.concat([bytesOf(cp), new ProtoWriter().uint64(3, 99).finish()]);
    assert.deepEqual(decodeReadResp(new ProtoWriter().bytes(3, newer).finish()), {
      kind: 'checkpoint',
      commit: BIG + 5n,
      prepare: BIG + 4n,
    });
    const zero = new pb.ReadResp();
    zero.setCheckpoint(new pb.ReadResp.Checkpoint());
    assert.deepEqual(decodeReadResp(bytesOf(zero)), { kind: 'checkpoint', commit: 0n, prepare: 0n });

    const caughtUp = new pb.ReadResp();
    caughtUp.setCaughtUp(new pb.ReadResp.CaughtUp());
    assert.deepEqual(decodeReadResp(bytesOf(caughtUp)), { kind: 'caught-up' });
    const fellBehind = new pb.ReadResp();
    fellBehind.setFellBehind(new pb.ReadResp.FellBehind());
    assert.deepEqual(decodeReadResp(bytesOf(fellBehind)), { kind: 'fell-behind' });

    const conf = new pb.ReadResp.SubscriptionConfirmation();
    conf.setSubscriptionId('sub-42');
    const confirmation = new pb.ReadResp();
    confirmation.setConfirmation(conf);
    assert.deepEqual(decodeReadResp(bytesOf(confirmation)), { kind: 'confirmation', subscriptionId: 'sub-42' });

    const nf = new pb.ReadResp.StreamNotFound();
    const sid = new shared.StreamIdentifier();
    sid.setStreamName(Buffer.from('gone-ü'));
    nf.setStreamIdentifier(sid);
    const notFound = new pb.ReadResp();
    notFound.setStreamNotFound(nf);
    assert.deepEqual(decodeReadResp(bytesOf(notFound)), { kind: 'stream-not-found', streamId: 'gone-ü' });

    const first = new pb.ReadResp();
    first.setFirstStreamPosition('5');
    assert.deepEqual(decodeReadResp(bytesOf(first)), { kind: 'other', field: 5 });
  });

  it('rejects malformed responses with ESDBL_CLIENT_BAD_RESPONSE', () => {
    const good = bytesOf(eventResp(recorded({ data: Buffer.alloc(100, 1) })));
    const truncated = good.subarray(0, good.length - 10);
    assert.throws(
      () => decodeReadResp(truncated),
      (err) => isLinkerError(err, 'ESDBL_CLIENT_BAD_RESPONSE'),
    );
    assert.throws(
      () => decodeReadResp(bytesOf(eventResp(recorded({ streamName: null })))),
      (err) => isLinkerError(err, 'ESDBL_CLIENT_BAD_RESPONSE'),
    );
    assert.throws(
      () => decodeReadResp(bytesOf(eventResp(recorded({ id: null })))),
      (err) => isLinkerError(err, 'ESDBL_CLIENT_BAD_RESPONSE'),
    );
  });
});

/** The request 6.2.1's `subscribeToAll` builds (dist/streams/subscribeToAll.js), step for step. */
function clientRequest(request: SubscribeToAllRequest): Buffer {
  const req = new pb.ReadReq();
  const options = new pb.ReadReq.Options();
  const uuidOption = new pb.ReadReq.Options.UUIDOption();
  if (request.uuid === 'structured') uuidOption.setStructured(new shared.Empty());
  else uuidOption.setString(new shared.Empty());
  const allOptions = new pb.ReadReq.Options.AllOptions();
  if (request.from === 'start') allOptions.setStart(new shared.Empty());
  else if (request.from === 'end') allOptions.setEnd(new shared.Empty());
  else {
    const pos = new pb.ReadReq.Options.Position();
    pos.setCommitPosition(request.from.commit.toString(10));
    pos.setPreparePosition(request.from.prepare.toString(10));
    allOptions.setPosition(pos);
  }
  options.setAll(allOptions);
  options.setResolveLinks(request.resolveLinks ?? false);
  options.setSubscription(new pb.ReadReq.Options.SubscriptionOptions());
  options.setUuidOption(uuidOption);
  const filter = request.filter;
  if (filter) {
    const expr = new pb.ReadReq.Options.FilterOptions.Expression();
    if (filter.prefixes) expr.setPrefixList([...filter.prefixes]);
    if (filter.regex !== undefined) expr.setRegex(filter.regex);
    const filterOptions = new pb.ReadReq.Options.FilterOptions();
    if (filter.on === 'stream-name') filterOptions.setStreamIdentifier(expr);
    else filterOptions.setEventType(expr);
    if (filter.maxSearchWindow !== undefined) filterOptions.setMax(filter.maxSearchWindow);
    else filterOptions.setCount(new shared.Empty());
    filterOptions.setCheckpointintervalmultiplier(filter.checkpointInterval);
    options.setFilter(filterOptions);
  } else {
    options.setNoFilter(new shared.Empty());
  }
  req.setOptions(options);
  return bytesOf(req);
}

describe('encodeSubscribeToAllReq', () => {
  const cases: [string, SubscribeToAllRequest][] = [
    ['from start, no filter', { from: 'start' }],
    ['from end', { from: 'end' }],
    ['from a 64-bit position', { from: { commit: BIG + 1n, prepare: BIG } }],
    ['from position 0/0', { from: { commit: 0n, prepare: 0n } }],
    [
      'stream-name regex, count window',
      { from: 'start', filter: { on: 'stream-name', regex: '^(?!\\$).*', checkpointInterval: 1 } },
    ],
    [
      'event-type prefixes, max window, resolve links, structured ids',
      {
        from: { commit: 1234n, prepare: 1200n },
        resolveLinks: true,
        uuid: 'structured',
        filter: { on: 'event-type', prefixes: ['Order', 'Ünïcode'], maxSearchWindow: 500, checkpointInterval: 32 },
      },
    ],
  ];
  for (const [name, request] of cases) {
    it(`matches the client's request byte for byte: ${name}`, () => {
      const ours = encodeSubscribeToAllReq(request);
      assert.deepEqual(ours, clientRequest(request));
      // And read back field by field with the client's classes.
      const options = pb.ReadReq.deserializeBinary(ours).getOptions()!;
      assert.equal(options.hasAll(), true);
      const all = options.getAll()!;
      if (request.from === 'start') assert.equal(all.hasStart(), true);
      else if (request.from === 'end') assert.equal(all.hasEnd(), true);
      else {
        assert.equal(BigInt(all.getPosition()!.getCommitPosition()), request.from.commit);
        assert.equal(BigInt(all.getPosition()!.getPreparePosition()), request.from.prepare);
      }
      assert.equal(options.getResolveLinks(), request.resolveLinks ?? false);
      assert.equal(options.hasSubscription(), true);
      assert.equal(options.getUuidOption()!.hasString(), request.uuid !== 'structured');
      assert.equal(options.getUuidOption()!.hasStructured(), request.uuid === 'structured');
      const filter = request.filter;
      assert.equal(options.hasNoFilter(), filter === undefined);
      if (filter) {
        const f = options.getFilter()!;
        const expr = filter.on === 'stream-name' ? f.getStreamIdentifier()! : f.getEventType()!;
        assert.equal(filter.on === 'stream-name' ? f.hasStreamIdentifier() : f.hasEventType(), true);
        assert.equal(expr.getRegex(), filter.regex ?? '');
        assert.deepEqual(expr.getPrefixList(), filter.prefixes ?? []);
        assert.equal(f.hasMax(), filter.maxSearchWindow !== undefined);
        assert.equal(f.hasCount(), filter.maxSearchWindow === undefined);
        if (filter.maxSearchWindow !== undefined) assert.equal(f.getMax(), filter.maxSearchWindow);
        assert.equal(f.getCheckpointintervalmultiplier(), filter.checkpointInterval);
      }
    });
  }

  it('rejects the windows and intervals the client rejects, with ESDBL_CLIENT_BAD_OPTION', () => {
    for (const filter of [
      { on: 'stream-name' as const, regex: 'x', checkpointInterval: 0 },
      { on: 'stream-name' as const, regex: 'x', checkpointInterval: 1, maxSearchWindow: 0 },
      { on: 'stream-name' as const, regex: 'x', checkpointInterval: 1.5 },
    ]) {
      assert.throws(
        () => encodeSubscribeToAllReq({ from: 'start', filter }),
        (err) => isLinkerError(err, 'ESDBL_CLIENT_BAD_OPTION'),
      );
    }
  });
});
