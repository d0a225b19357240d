import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MethodDefinition } from '@grpc/proto-loader';
import { loadPackageDefinition } from '../../src/emulator/protos.js';
import type { EventRecord } from '../../src/emulator/store/types.js';
import { MAX_LONG } from '../../src/emulator/store/types.js';
import { encodeEventResp, encodeSimpleEventResp } from '../../src/emulator/wire/read-resp.js';
import { wrongExpectedVersionAny } from '../../src/emulator/wire/status-details.js';

const streams = loadPackageDefinition()['event_store.client.streams.Streams'] as Record<
  string,
  MethodDefinition<unknown, unknown>
>;
interface DecodedRecorded {
  id: { string?: string; structured?: { most_significant_bits: string; least_significant_bits: string } };
  stream_identifier: { stream_name: Buffer };
  stream_revision: string;
  prepare_position: string;
  commit_position: string;
  metadata: Record<string, string>;
  custom_metadata: Buffer;
  data: Buffer;
}
interface DecodedReadResp {
  content: string;
  event: { event: DecodedRecorded | null; link: DecodedRecorded | null; commit_position: string; position: string };
}
const decodeReadResp = (buf: Buffer): DecodedReadResp =>
  (streams.Read as MethodDefinition<unknown, DecodedReadResp>).responseDeserialize(buf);

function record(overrides: Partial<EventRecord> = {}): EventRecord {
  return {
    position: 300_000_000_123,
    streamId: 'stréam-ü',
    revision: 17n,
    eventId: '0f8fad5b-d9cb-469f-a165-70867728950e',
    eventType: 'Tÿpe',
    contentType: 'application/json',
    created: 1_700_000_000_123,
    data: Buffer.from('{"a":1}'),
    metadata: Buffer.from('{"m":2}'),
    ...overrides,
  };
}

describe('emulator wire encoding', () => {
  it('hand-encodes ReadResp events that decode to the right fields', () => {
    const r = record();
    const decoded = decodeReadResp(encodeSimpleEventResp(r));
    assert.equal(decoded.content, 'event');
    assert.equal(decoded.event.commit_position, '300000000123');
    const ev = decoded.event.event;
    assert.ok(ev);
    assert.equal(ev.id.string, r.eventId);
    assert.equal(ev.stream_identifier.stream_name.toString('utf8'), r.streamId);
    assert.equal(ev.stream_revision, '17');
    assert.equal(ev.prepare_position, '300000000123');
    assert.equal(ev.commit_position, '300000000123');
    assert.deepEqual(ev.metadata, { type: 'Tÿpe', 'content-type': 'application/json', created: '17000000001230000' });
    assert.equal(ev.data.toString(), '{"a":1}');
    assert.equal(ev.custom_metadata.toString(), '{"m":2}');
  });

  it('the fast encoder and the general encoder give identical bytes', () => {
    for (const r of [
      record(),
      record({ revision: 0n, data: Buffer.alloc(0), metadata: Buffer.alloc(0) }),
      record({ streamId: 'x'.repeat(300) }),
    ]) {
      assert.deepEqual(encodeSimpleEventResp(r), encodeEventResp(r, undefined, r.position, 'string'));
    }
  });

  it('encodes structured UUIDs, links and long.MaxValue revisions', () => {
    const target = record();
    const link = record({ revision: MAX_LONG, eventType: '$>', data: Buffer.from('17@stréam-ü'), position: 400 });
    const decoded = decodeReadResp(encodeEventResp(target, link, 400, 'structured'));
    const id = decoded.event.event?.id.structured;
    assert.ok(id);
    const hex =
      BigInt.asUintN(64, BigInt(id.most_significant_bits)).toString(16).padStart(16, '0') +
      BigInt.asUintN(64, BigInt(id.least_significant_bits)).toString(16).padStart(16, '0');
    assert.equal(hex, target.eventId.replace(/-/g, ''));
    assert.equal(decoded.event.link?.stream_revision, '9223372036854775807');
    assert.equal(decoded.event.commit_position, '400');
    const noTarget = decodeReadResp(encodeEventResp(undefined, link, undefined, 'string'));
    assert.equal(noTarget.event.event, null);
    assert.equal(noTarget.event.position, 'no_position');
  });

  it('encodes WrongExpectedVersion details with zero-valued members present', () => {
    const any = wrongExpectedVersionAny(0n, 0n);
    assert.equal(any.type_url, 'type.googleapis.com/event_store.client.WrongExpectedVersion');
    // field 1 varint 0, field 3 varint 0: both present although zero
    assert.deepEqual([...any.value], [0x08, 0x00, 0x18, 0x00]);
    assert.deepEqual([...wrongExpectedVersionAny(-1n, -4n).value], [0x12, 0x00, 0x2a, 0x00]);
  });
});
