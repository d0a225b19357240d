import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadWatchdog } from '../../src/link/read/read-watchdog.js';

test('silence is checked only after silenceMs, and not while a check runs or the reader is paused', () => {
  const w = new ReadWatchdog(1_000, 0);
  assert.equal(w.due(999, false), false);
  assert.equal(w.due(1_000, false), true);
  w.begin();
  assert.equal(w.due(5_000, false), false, 'one check at a time');
  assert.equal(w.verdict(false, 5_000), undefined);
  assert.equal(w.due(5_500, false), false, 'an answer restarts the silence clock');
  assert.equal(w.due(7_000, true), false, 'a paused reader is silent on purpose');
  assert.equal(w.due(7_999, false), false);
  assert.equal(w.due(8_000, false), true);
});

test('two stuck answers in a row resubscribe; activity or a clean answer in between resets', () => {
  const w = new ReadWatchdog(1_000, 0);
  w.begin();
  assert.equal(w.verdict(true, 1_000), undefined, 'one stuck answer is not enough');
  w.begin();
  assert.equal(w.verdict(true, 2_000), 'resubscribe');
  w.begin();
  assert.equal(w.verdict(true, 3_000), undefined, 'the count starts again after a resubscription');
  w.activity(3_500);
  w.begin();
  assert.equal(w.verdict(true, 4_500), undefined, 'activity in between resets the count');
  w.begin();
  assert.equal(w.verdict(false, 5_500), undefined);
  w.begin();
  assert.equal(w.verdict(true, 6_500), undefined, 'a clean answer in between resets the count');
});
