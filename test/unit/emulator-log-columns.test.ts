import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { LogColumns } from '../../src/emulator/store/log-columns.js';
import { MAX_LONG, type EventRecord } from '../../src/emulator/store/types.js';
import { readUuidBytes, writeUuidBytes } from '../../src/emulator/store/uuid-bytes.js';

/** A record whose payload sizes vary with `i`; every 20,000th carries 1.5 MiB (a chunk of its own). */
function record(i: number, position: number): EventRecord {
  const dataSize = i % 20_000 === 7 ? 1.5 * 2 ** 20 : (i * 37) % 700;
  const data = Buffer.alloc(dataSize, i % 251);
  const metadata = i % 3 === 0 ? Buffer.alloc(0) : Buffer.from(`{"i":${i}}`);
  return {
    position,
    streamId: `stream-${i % 97}`,
    revision: i % 1_000 === 999 ? MAX_LONG : BigInt(Math.floor(i / 97)),
    eventId: randomUUID(),
    eventType: i % 5 === 0 ? 'Other' : 'Thing',
    contentType: i % 2 === 0 ? 'application/json' : 'application/octet-stream',
    created: 1_700_000_000_000 + i,
    data,
    metadata,
  };
}

describe('emulator log columns', () => {
  it('gives back every field of every record across page and chunk boundaries', () => {
    const log = new LogColumns();
    const written: EventRecord[] = [];
    let position = 128;
    // 70,000 records: past one 65,536-record page, and ~30 MiB of payload: past several 4 MiB chunks.
    for (let i = 0; i < 70_000; i++) {
      const r = record(i, position);
      position += 100 + r.data.length;
      assert.equal(log.push(r), i);
      written.push(r);
    }
    assert.equal(log.length, written.length);
    for (let i = 0; i < written.length; i++) {
      const got = log.at(i)!;
      const want = written[i]!;
      assert.equal(got.position, want.position, `position of ${i}`);
      assert.equal(got.streamId, want.streamId);
      assert.equal(got.revision, want.revision, `revision of ${i}`);
      assert.equal(got.eventId, want.eventId);
      assert.equal(got.eventType, want.eventType);
      assert.equal(got.contentType, want.contentType);
      assert.equal(got.created, want.created);
      assert.ok(got.data.equals(want.data), `data of ${i}`);
      assert.ok(got.metadata.equals(want.metadata), `metadata of ${i}`);
      assert.equal(log.positionAt(i), want.position);
      assert.equal(log.streamIdAt(i), want.streamId);
      assert.equal(log.eventTypeAt(i), want.eventType);
      assert.ok(log.dataAt(i).equals(want.data));
    }
    assert.equal(log.at(written.length), undefined);
    assert.equal(log.at(-1)?.eventId, written.at(-1)?.eventId);
    assert.deepEqual(
      log.slice(-2).map((r) => r.eventId),
      written.slice(-2).map((r) => r.eventId),
    );
  });

  it('finds positions by binary search: exact, between records, before the first, after the last', () => {
    const log = new LogColumns();
    for (let i = 0; i < 1_000; i++) log.push(record(i, 128 + i * 10));
    assert.equal(log.indexAtOrAfter(0), 0);
    assert.equal(log.indexAtOrAfter(128 + 500 * 10), 500);
    assert.equal(log.indexAtOrAfter(128 + 500 * 10 + 1), 501);
    assert.equal(log.indexAtOrAfter(128 + 999 * 10 + 1), 1_000);
  });

  it('round-trips UUID text through its 16 bytes', () => {
    const bytes = new Uint8Array(40);
    for (const id of [randomUUID(), '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff']) {
      writeUuidBytes(id, bytes, 3);
      assert.equal(readUuidBytes(bytes, 3), id);
    }
  });
});
