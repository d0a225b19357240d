import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CatchUpProgress, formatDuration, formatProgressLine } from '../../src/daemon/catch-up-progress.js';
import { RecentErrors } from '../../src/daemon/recent-errors.js';
import type { LinkStatus } from '../../src/link/link-status.js';

function status(name: string, commit: bigint | null, events: number, rate = 0): LinkStatus {
  const pos = commit === null ? null : { commit: commit.toString(), prepare: commit.toString() };
  return {
    name,
    origin: 'a',
    destination: 'b',
    state: 'running',
    phase: 'catch-up',
    stalled: false,
    retrying: false,
    caughtUp: false,
    checkpoint: pos,
    lastReadPosition: pos,
    eventsReplicated: events,
    bytesReplicated: 0,
    eventsSkipped: 0,
    conflicts: 0,
    retries: 0,
    lagEvents: 0,
    lagSeconds: 0,
    rate,
    batchSize: 50,
    buffer: { events: 0, bytes: 0, maxEvents: 10_000, maxBytes: 1 << 25 },
    lastError: null,
    startedAt: null,
  };
}

test('progress is the share of log bytes from the starting checkpoint to the target, summed over links', () => {
  const p = new CatchUpProgress(10_000);
  p.track('l1', 1_000n);
  p.track('l2', 3_000n);
  // l1 resumes from a stored checkpoint at 500; l2 starts from nothing.
  let snap = p.update([status('l1', 500n, 0), status('l2', null, 0)], 0);
  assert.equal(snap.fraction, 0);
  snap = p.update([status('l1', 750n, 10, 5), status('l2', 1_000n, 30, 7)], 1_000);
  // (250 + 1000) / (500 + 3000)
  assert.equal(snap.fraction, 1_250 / 3_500);
  assert.equal(snap.eventsReplicated, 40);
  assert.equal(snap.rate, 12);
  assert.equal(snap.estimatedTotalEvents, Math.round(40 / (1_250 / 3_500)));
  // 1250 bytes in 1 s, 2250 left.
  assert.equal(snap.etaSeconds, 2_250 / 1_250);
  p.markDone('l1');
  p.markDone('l2');
  snap = p.update([status('l1', 900n, 12), status('l2', 3_000n, 90)], 2_000);
  assert.equal(snap.fraction, 1);
  assert.equal(snap.linksDone, 2);
});

test('a checkpoint past the target counts as done, not more than done', () => {
  const p = new CatchUpProgress();
  p.track('l1', 100n);
  p.update([status('l1', null, 0)], 0);
  const snap = p.update([status('l1', 500n, 9)], 1_000);
  assert.equal(snap.fraction, 1);
});

test('formatting: durations and the progress line', () => {
  assert.equal(formatDuration(null), '?');
  assert.equal(formatDuration(59.4), '59s');
  assert.equal(formatDuration(83), '1m23s');
  assert.equal(formatDuration(7_380), '2h03m');
  const line = formatProgressLine(
    {
      fraction: 0.5,
      eventsReplicated: 1_234,
      estimatedTotalEvents: 2_468,
      rate: 99.6,
      etaSeconds: 12,
      linksDone: 0,
      links: 1,
    },
    10,
  );
  assert.equal(line, '[#####-----]  50.0%  1,234/~2,468 events  100 ev/s  ETA 12s  links 0/1');
});

test('recent errors: newest first, de-duplicated, bounded', () => {
  const errors = new RecentErrors(2);
  assert.equal(errors.add({ link: 'l', code: 'A', message: 'm', at: '1' }), true);
  assert.equal(errors.add({ link: 'l', code: 'A', message: 'm', at: '1' }), false);
  errors.add({ link: 'l', code: 'B', message: 'm', at: '2' });
  errors.add({ link: 'l', code: 'C', message: 'm', at: '3' });
  assert.deepEqual(
    errors.list().map((e) => e.code),
    ['C', 'B'],
  );
  // An evicted error may be reported again.
  assert.equal(errors.add({ link: 'l', code: 'A', message: 'm', at: '1' }), true);
});
