import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentIds } from '../../src/emulator/store/recent-ids.js';

const resolve = (logIndex: number) => ({ streamId: `s-${logIndex}`, revision: BigInt(logIndex), position: logIndex });

describe('RecentIds', () => {
  it('keeps the last `capacity` adds and drops the oldest first', () => {
    const ids = new RecentIds(3, resolve);
    for (let i = 0; i < 5; i++) ids.add(`id-${i}`, i);
    assert.equal(ids.get('id-0'), undefined);
    assert.equal(ids.get('id-1'), undefined);
    assert.deepEqual(
      [2, 3, 4].map((i) => ids.get(`id-${i}`)?.position),
      [2, 3, 4],
    );
  });

  it('an id added again points at its newest index and outlives its first slot', () => {
    const ids = new RecentIds(3, resolve);
    ids.add('a', 0);
    ids.add('b', 1);
    ids.add('a', 2);
    // The slot 'a' first took is reused here; 'a' stays, under its second add.
    ids.add('c', 3);
    assert.equal(ids.get('a')?.position, 2);
    assert.equal(ids.get('b')?.position, 1);
    ids.add('d', 4);
    assert.equal(ids.get('b'), undefined);
    ids.add('e', 5);
    assert.equal(ids.get('a'), undefined);
    assert.deepEqual(
      ['c', 'd', 'e'].map((id) => ids.get(id)?.position),
      [3, 4, 5],
    );
  });

  it('holds at most `capacity` ids however many are added', () => {
    const ids = new RecentIds(1_000, resolve);
    for (let i = 0; i < 250_000; i++) ids.add(`id-${i}`, i);
    let held = 0;
    for (let i = 0; i < 250_000; i++) if (ids.get(`id-${i}`) !== undefined) held++;
    assert.equal(held, 1_000);
    assert.equal(ids.get('id-248999'), undefined);
    assert.equal(ids.get('id-249000')?.position, 249_000);
  });

  it('a capacity of 0 remembers nothing', () => {
    const ids = new RecentIds(0, resolve);
    ids.add('a', 0);
    assert.equal(ids.get('a'), undefined);
  });
});
