import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkTracker } from '../../src/link/checkpoint/watermark-tracker.js';

const p = (n: number) => ({ commit: BigInt(n), prepare: BigInt(n) });

test('the watermark is the low watermark of acknowledged events, not the last read', () => {
  const w = new WatermarkTracker(p(5));
  const t10 = w.track(p(10), 1000);
  const t20 = w.track(p(20), 2000);
  w.pass(p(25));
  const t30 = w.track(p(30), 3000);
  assert.deepEqual(w.watermark, p(5));
  assert.equal(w.pendingCount, 3);
  assert.equal(w.oldestPendingCreatedMs, 1000);
  w.ack(t20);
  assert.deepEqual(w.watermark, p(5), 'event 10 is still pending');
  w.ack(t10);
  assert.deepEqual(w.watermark, p(25), 'passes up to the next pending event');
  assert.equal(w.oldestPendingCreatedMs, 3000);
  assert.ok(w.hasPendingAtOrBelow(p(30)));
  assert.ok(!w.hasPendingAtOrBelow(p(29)));
  w.ack(t30);
  w.ack(t30);
  assert.deepEqual(w.watermark, p(30));
  assert.equal(w.pendingCount, 0);
  w.pass(p(40));
  assert.deepEqual(w.watermark, p(40), 'nothing pending: a considered position is safe at once');
});

test('the tracker stays bounded over a long run', () => {
  const w = new WatermarkTracker(null);
  for (let i = 1; i <= 10_000; i++) w.ack(w.track(p(i), i));
  assert.deepEqual(w.watermark, p(10_000));
  const arrays = w as unknown as { positions: unknown[]; done: unknown[]; createdMs: unknown[] };
  for (const a of [arrays.positions, arrays.done, arrays.createdMs]) assert.ok(a.length < 2_100);
});
