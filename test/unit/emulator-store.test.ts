import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { EventStore, FIRST_POSITION } from '../../src/emulator/store/event-store.js';
import { noJournal } from '../../src/emulator/store/journal.js';
import { parseStreamMetadata, withTruncateBefore } from '../../src/emulator/store/stream-metadata.js';
import { streamReadability } from '../../src/emulator/store/stream-visibility.js';
import {
  MAX_LONG,
  type ExpectedRevision,
  type ProposedEvent,
  type WriteResult,
} from '../../src/emulator/store/types.js';

const ANY: ExpectedRevision = { kind: 'any' };
const NO_STREAM: ExpectedRevision = { kind: 'no_stream' };
const EXISTS: ExpectedRevision = { kind: 'stream_exists' };
const rev = (revision: bigint): ExpectedRevision => ({ kind: 'revision', revision });

function newStore(recentIdsCapacity?: number): EventStore {
  return new EventStore({ journal: noJournal, now: Date.now, recentIdsCapacity });
}

function ev(type = 'Thing', data: unknown = { n: 1 }): ProposedEvent {
  return {
    eventId: randomUUID(),
    eventType: type,
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify(data)),
    metadata: Buffer.alloc(0),
  };
}

function metaEvent(json: string): ProposedEvent {
  return { ...ev('$metadata'), data: Buffer.from(json) };
}

function success(result: WriteResult): { currentRevision: bigint; position: number | undefined } {
  assert.equal(
    result.kind,
    'success',
    `expected success, got ${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
  );
  return result;
}

function visibleRevisions(store: EventStore, stream: string): bigint[] | string {
  const r = streamReadability(store, stream, Date.now());
  if (r.kind !== 'readable') return r.kind;
  const revisions: bigint[] = [];
  for (let i = r.firstVisible; i < r.entry.count; i++) revisions.push(r.entry.recordAt(i)!.revision);
  return revisions;
}

describe('emulator store: expected revision and idempotency (CheckCommit)', () => {
  it('writes with every matching expectation and numbers events from 0', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    assert.equal(success(store.append(s, NO_STREAM, [ev(), ev()])).currentRevision, 1n);
    assert.equal(success(store.append(s, ANY, [ev()])).currentRevision, 2n);
    assert.equal(success(store.append(s, EXISTS, [ev()])).currentRevision, 3n);
    assert.equal(success(store.append(s, rev(3n), [ev()])).currentRevision, 4n);
  });

  it('reports the raw current revision on a wrong expectation and writes nothing', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    success(store.append(s, NO_STREAM, [ev(), ev(), ev()]));
    const before = store.log.length;
    assert.deepEqual(store.append(s, rev(0n), [ev()]), { kind: 'wrong_expected_version', currentRevision: 2n });
    assert.deepEqual(store.append(s, rev(7n), [ev()]), { kind: 'wrong_expected_version', currentRevision: 2n });
    assert.deepEqual(store.append(s, NO_STREAM, [ev()]), { kind: 'wrong_expected_version', currentRevision: 2n });
    const missing = `m-${randomUUID()}`;
    assert.deepEqual(store.append(missing, EXISTS, [ev()]), { kind: 'wrong_expected_version', currentRevision: -1n });
    assert.deepEqual(store.append(missing, rev(0n), [ev()]), { kind: 'wrong_expected_version', currentRevision: -1n });
    assert.equal(store.log.length, before);
  });

  it('accepts stream_exists on an empty stream that has a metadata stream', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    success(store.append(`$$${s}`, ANY, [metaEvent('{"custom":1}')]));
    assert.equal(success(store.append(s, EXISTS, [ev()])).currentRevision, 0n);
  });

  it('makes explicit-revision retries idempotent however old the events are (not cache bound)', () => {
    const store = newStore(2);
    const s = `s-${randomUUID()}`;
    const batch = [ev(), ev(), ev()];
    const first = success(store.append(s, NO_STREAM, batch));
    for (let i = 0; i < 10; i++) success(store.append(`other-${i}`, ANY, [ev()]));
    success(store.append(s, ANY, [ev()]));
    const logLength = store.log.length;
    const retry = success(store.append(s, NO_STREAM, batch));
    assert.equal(retry.currentRevision, 2n);
    assert.equal(retry.position, first.position);
    const retryMiddle = success(store.append(s, rev(0n), batch.slice(1)));
    assert.equal(retryMiddle.currentRevision, 2n);
    assert.equal(store.log.length, logLength, 'idempotent retries write nothing');
  });

  it('treats a partial overlap or a different first event as a wrong expected version', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    const batch = [ev(), ev()];
    success(store.append(s, NO_STREAM, batch));
    assert.equal(store.append(s, NO_STREAM, [batch[0] as ProposedEvent, ev()]).kind, 'wrong_expected_version');
    assert.equal(store.append(s, NO_STREAM, [ev(), batch[1] as ProposedEvent]).kind, 'wrong_expected_version');
    assert.equal(store.append(s, ANY, [batch[0] as ProposedEvent, ev()]).kind, 'wrong_expected_version');
  });

  it('dedups any/stream_exists through the recent-ids cache, so only recent events are idempotent', () => {
    const store = newStore(3);
    const s = `s-${randomUUID()}`;
    const batch = [ev(), ev()];
    success(store.append(s, ANY, batch));
    const again = success(store.append(s, ANY, batch));
    assert.equal(again.currentRevision, 1n);
    assert.equal(store.stream(s)?.count, 2);
    const sameIdsOtherStream = success(store.append(`o-${randomUUID()}`, ANY, batch));
    assert.equal(sameIdsOtherStream.currentRevision, 1n, 'ids committed to another stream do not count');
    for (let i = 0; i < 5; i++) success(store.append(`x-${i}`, ANY, [ev()]));
    assert.equal(success(store.append(s, ANY, batch)).currentRevision, 3n, 'evicted ids are written again');
  });

  it('handles empty appends like the real server', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    assert.deepEqual(store.append(s, ANY, []), { kind: 'success', currentRevision: -1n, position: undefined });
    success(store.append(s, ANY, [ev(), ev()]));
    assert.deepEqual(store.append(s, rev(1n), []), { kind: 'success', currentRevision: 1n, position: undefined });
    assert.equal(store.append(s, rev(0n), []).kind, 'wrong_expected_version');
  });
});

describe('emulator store: soft delete, undelete and tombstone', () => {
  it('soft delete hides the stream; appending again undeletes and continues the numbering', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    success(store.append(s, NO_STREAM, [ev(), ev(), ev()]));
    success(store.append(`$$${s}`, ANY, [metaEvent('{"$maxCount":10,"custom":"dropped"}')]));
    success(store.softDelete(s, rev(2n)));
    // Like the real server, the delete writes a fresh document: other keys are gone.
    assert.equal(store.stream(`$$${s}`)?.last()?.data.toString(), '{"$tb":9223372036854775807}');
    assert.equal(visibleRevisions(store, s), 'not_found');
    assert.equal(store.append(s, EXISTS, [ev()]).kind, 'stream_deleted');

    const again = success(store.append(s, NO_STREAM, [ev('Again')]));
    assert.equal(again.currentRevision, 3n);
    assert.deepEqual(
      store.log.slice(-2).map((r) => [r.streamId, r.eventType]),
      [
        [s, 'Again'],
        [`$$${s}`, '$metadata'],
      ],
      'the undelete metadata follows the events, and the reply carries the event position',
    );
    assert.equal(again.position, store.log.at(-2)?.position);
    assert.equal(store.stream(`$$${s}`)?.last()?.data.toString(), '{"$tb":3}');
    assert.deepEqual(visibleRevisions(store, s), [3n]);
  });

  it('a metadata write to a soft-deleted stream undeletes it, keeping the new keys and hiding old events', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    success(store.append(s, NO_STREAM, [ev(), ev()]));
    success(store.softDelete(s, ANY));
    success(store.append(`$$${s}`, ANY, [metaEvent('{"custom":1}')]));
    assert.equal(store.stream(`$$${s}`)?.last()?.data.toString(), '{"custom":1,"$tb":2}');
    assert.deepEqual(visibleRevisions(store, s), []);
    assert.equal(success(store.append(s, rev(1n), [ev()])).currentRevision, 2n);
    assert.deepEqual(visibleRevisions(store, s), [2n]);
  });

  it('deleting a stream that never existed is a wrong expected version (no stream)', () => {
    const store = newStore();
    assert.deepEqual(store.softDelete(`never-${randomUUID()}`, ANY), {
      kind: 'wrong_expected_version',
      currentRevision: -1n,
    });
    assert.equal(store.log.length, 0);
  });

  it('soft delete checks the expected revision', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    success(store.append(s, NO_STREAM, [ev(), ev()]));
    assert.deepEqual(store.softDelete(s, rev(0n)), { kind: 'wrong_expected_version', currentRevision: 1n });
    assert.equal(visibleRevisions(store, s).length, 2);
  });

  it('tombstone is permanent: stream and metastream are dead, and the record sits at long.MaxValue', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    success(store.append(s, NO_STREAM, [ev()]));
    const result = success(store.tombstone(s, ANY));
    const last = store.log.at(-1);
    assert.equal(last?.position, result.position);
    assert.equal(last?.revision, MAX_LONG);
    assert.equal(last?.eventType, '$streamDeleted');
    assert.equal(store.append(s, ANY, [ev()]).kind, 'stream_deleted');
    assert.equal(store.append(`$$${s}`, ANY, [metaEvent('{}')]).kind, 'stream_deleted');
    assert.equal(store.softDelete(s, ANY).kind, 'stream_deleted');
    assert.equal(store.tombstone(s, ANY).kind, 'stream_deleted');
    assert.equal(visibleRevisions(store, s), 'deleted');
  });
});

describe('emulator store: metadata and positions', () => {
  it('the latest $metadata wins and a malformed one means no metadata', () => {
    const store = newStore();
    const s = `s-${randomUUID()}`;
    success(store.append(s, NO_STREAM, [ev(), ev(), ev(), ev()]));
    success(store.append(`$$${s}`, ANY, [metaEvent('{"$maxCount":3}')]));
    success(store.append(`$$${s}`, ANY, [metaEvent('{"$maxCount":2}')]));
    assert.deepEqual(visibleRevisions(store, s), [2n, 3n]);
    success(store.append(`$$${s}`, ANY, [metaEvent('{"$tb":1}')]));
    assert.deepEqual(visibleRevisions(store, s), [1n, 2n, 3n]);
    success(store.append(`$$${s}`, ANY, [metaEvent('{not json')]));
    assert.deepEqual(visibleRevisions(store, s), [0n, 1n, 2n, 3n]);
  });

  it('reads $tb textually, including long.MaxValue, and rewrites it without touching other keys', () => {
    assert.equal(parseStreamMetadata(Buffer.from('{"$tb":9223372036854775807}')).truncateBefore, MAX_LONG);
    assert.equal(parseStreamMetadata(Buffer.from('{"a":1,"$tb" : 42}')).truncateBefore, 42n);
    assert.equal(withTruncateBefore(Buffer.from('{"a":{"b":2}}'), 5n)?.toString(), '{"a":{"b":2},"$tb":5}');
    assert.equal(withTruncateBefore(Buffer.from('{ }'), 5n)?.toString(), '{"$tb":5}');
    assert.equal(
      withTruncateBefore(Buffer.from('{"$tb":3,"x":1}'), MAX_LONG)?.toString(),
      '{"$tb":9223372036854775807,"x":1}',
    );
    assert.equal(withTruncateBefore(Buffer.from('[1]'), 1n), undefined);
    assert.equal(withTruncateBefore(Buffer.from('{oops'), 1n), undefined);
  });

  it('assigns strictly increasing, non-zero positions across streams', () => {
    const store = newStore();
    for (let i = 0; i < 20; i++) success(store.append(`p-${i % 3}`, ANY, [ev('T', { i }), ev('T', { i })]));
    const positions = store.log.slice().map((r) => r.position);
    assert.equal(positions[0], FIRST_POSITION);
    assert.ok(FIRST_POSITION > 0);
    for (let i = 1; i < positions.length; i++) assert.ok((positions[i] as number) > (positions[i - 1] as number));
    assert.equal(store.indexAtOrAfter(positions[5] as number), 5);
    assert.equal(store.indexAtOrAfter((positions[5] as number) + 1), 6);
  });
});
