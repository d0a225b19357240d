import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateWindow } from '../../src/link/rate-window.js';
import { StallDetector } from '../../src/link/stall-detector.js';
import { deterministicUuid } from '../../src/link/write/deterministic-id.js';
import { parseCheckpoint } from '../../src/link/checkpoint/checkpoint-store.js';
import { isLinkerError } from '../../src/shared/errors.js';

test('rate is events per second over a sliding window', () => {
  let now = 1_000_000;
  const rate = new RateWindow(() => now, 10);
  rate.add(50);
  now += 1000;
  rate.add(50);
  assert.equal(rate.rate(), 10);
  now += 9_500;
  assert.equal(rate.rate(), 5, 'the first second left the window');
  now += 60_000;
  assert.equal(rate.rate(), 0);
});

test('a link with pending work and no progress is stalled until it progresses', () => {
  const stall = new StallDetector(1000, 0);
  assert.equal(stall.check(500, true), undefined);
  assert.equal(stall.check(1000, true), 'stalled');
  assert.equal(stall.stalled, true);
  assert.equal(stall.check(5000, true), undefined, 'reported once');
  assert.equal(stall.progress(6000), 'recovered');
  assert.equal(stall.stalled, false);
  assert.equal(stall.check(100_000, false), undefined, 'idle is not stalled');
  assert.equal(stall.check(100_500, true), undefined);
});

test('conflict record ids are stable UUIDs derived from the original', () => {
  const a = deterministicUuid('x', 'link', '0b7c');
  assert.equal(a, deterministicUuid('x', 'link', '0b7c'));
  assert.notEqual(a, deterministicUuid('x', 'link', '0b7d'));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('checkpoint data: positions as decimal strings, clear errors otherwise', () => {
  const enc = new TextEncoder();
  assert.deepEqual(
    parseCheckpoint(enc.encode('{"link":"l","commit":"18446744073709551615","prepare":"7","at":"x"}'), 's'),
    {
      commit: 18446744073709551615n,
      prepare: 7n,
    },
  );
  for (const bad of ['nope', '{"commit":1,"prepare":"2"}', '{"commit":"-1","prepare":"2"}']) {
    assert.throws(
      () => parseCheckpoint(enc.encode(bad), '$linker-checkpoint-l'),
      (e: unknown) => isLinkerError(e, 'ESDBL_LINK_CHECKPOINT_INVALID') && e.message.includes('$linker-checkpoint-l'),
    );
  }
});
