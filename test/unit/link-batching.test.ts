import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../src/link/recovery/backoff.js';
import { takeBatch } from '../../src/link/write/batcher.js';
import { BatchTuner } from '../../src/link/write/batch-tuner.js';
import { StreamOffsets } from '../../src/link/write/stream-offsets.js';
import { LinkLifecycle } from '../../src/link/link-lifecycle.js';
import { isLinkerError } from '../../src/shared/errors.js';

const item = (destStream: string, bytes = 10, kind: 'append' | 'tombstone' = 'append') => ({ destStream, bytes, kind });

test('a batch takes consecutive events of one stream within count and bytes', () => {
  const q = [item('a'), item('a'), item('a'), item('b'), item('a')];
  assert.equal(takeBatch(q, 2, 1000).length, 2);
  assert.equal(takeBatch(q, 10, 1000).length, 1, 'stops at the next stream');
  assert.equal(q[0]!.destStream, 'b');
  const bytes = [item('a', 400), item('a', 400), item('a', 400)];
  assert.equal(takeBatch(bytes, 10, 900).length, 2);
  const big = [item('a', 5000), item('a', 1)];
  assert.equal(takeBatch(big, 10, 900).length, 1, 'an oversized event goes alone');
  const tomb = [item('a', 1, 'tombstone'), item('a')];
  assert.equal(takeBatch(tomb, 10, 900).length, 1);
  const beforeTomb = [item('a'), item('a', 1, 'tombstone')];
  assert.equal(takeBatch(beforeTomb, 10, 900).length, 1);
  assert.deepEqual(takeBatch([], 10, 10), []);
});

const options = { adaptive: true, minEvents: 1, initialEvents: 50, maxEvents: 500, maxBytes: 900_000 };

function feed(tuner: BatchTuner, msPerEvent: number, rounds: number): void {
  for (let i = 0; i < rounds * BatchTuner.WINDOW; i++) tuner.recordSuccess(tuner.size, tuner.size * msPerEvent, true);
}

test('the tuner grows while latency per event stays near its floor, within bounds', () => {
  const tuner = new BatchTuner(options);
  feed(tuner, 0.1, 50);
  assert.equal(tuner.size, 500);
});

test('the tuner backs off on rising latency and halves on errors', () => {
  const tuner = new BatchTuner(options);
  feed(tuner, 0.1, 3);
  const grown = tuner.size;
  assert.ok(grown > 50);
  const decision = (() => {
    let d;
    for (let i = 0; i < BatchTuner.WINDOW; i++) d = tuner.recordSuccess(tuner.size, tuner.size * 1.0, true);
    return d;
  })();
  assert.equal(decision?.reason, 'shrink');
  assert.ok(tuner.size < grown);
  const before = tuner.size;
  tuner.recordError();
  assert.equal(tuner.size, Math.max(1, Math.floor(before / 2)));
  for (let i = 0; i < 20; i++) tuner.recordError();
  assert.equal(tuner.size, 1);
});

test('the tuner recovers its size after a stall instead of shrinking itself to one event per append', () => {
  // Each append costs a fixed 2 ms plus 5 µs per event: per event, a smaller batch is always dearer.
  const tuner = new BatchTuner(options);
  const append = (stall: number) => tuner.recordSuccess(tuner.size, (2 + 0.005 * tuner.size) * stall, true);
  for (let i = 0; i < 40 * BatchTuner.WINDOW; i++) append(1);
  assert.equal(tuner.size, 500, 'grown to the maximum (a catch-up)');
  for (let i = 0; i < 6 * BatchTuner.WINDOW; i++) append(5);
  const stalled = tuner.size;
  assert.ok(stalled < 500, 'a stall shrinks it');
  for (let i = 0; i < 40 * BatchTuner.WINDOW; i++) append(1);
  assert.equal(tuner.size, 500, `back at the maximum after the stall (it fell to ${stalled})`);
});

test('an idle link (unsaturated batches) and a fixed size teach the tuner nothing', () => {
  const tuner = new BatchTuner(options);
  for (let i = 0; i < 50; i++) assert.equal(tuner.recordSuccess(3, 1, false), undefined);
  assert.equal(tuner.size, 50);
  const fixed = new BatchTuner({ ...options, adaptive: false, initialEvents: 7 });
  feed(fixed, 0.1, 10);
  fixed.recordError();
  assert.equal(fixed.size, 7);
});

test('backoff is exponential, capped and jittered', () => {
  const low = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 0);
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => low.nextDelayMs()),
    [50, 100, 200, 400, 500, 500],
  );
  const high = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 1);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map(() => high.nextDelayMs()),
    [100, 200, 400, 800, 1000],
  );
  high.reset();
  assert.equal(high.nextDelayMs(), 100);
});

test('stream offsets store only non-zero offsets, bounded', () => {
  const o = new StreamOffsets(2);
  o.set('a', 3n);
  o.set('b', 0n);
  assert.equal(o.size, 1);
  o.set('c', 1n);
  o.set('d', 2n);
  assert.equal(o.get('a'), 0n, 'evicted: derived again later');
  assert.equal(o.get('d'), 2n);
});

test('lifecycle transitions are explicit; invalid ones throw', () => {
  const seen: string[] = [];
  const l = new LinkLifecycle((s) => seen.push(s));
  l.transition('starting');
  l.transition('running');
  assert.throws(
    () => l.transition('idle'),
    (e: unknown) => isLinkerError(e, 'ESDBL_LINK_INVALID_STATE'),
  );
  l.transition('draining');
  l.transition('stopped');
  assert.throws(() => l.transition('running'));
  assert.deepEqual(seen, ['starting', 'running', 'draining', 'stopped']);
});
