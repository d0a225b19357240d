import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseStreamOf, compileFilter, TOMBSTONE_REVISION } from '../../src/link/event-filter.js';
import type { LinkFilterOptions } from '../../src/link/link-options.js';
import { isLinkerError } from '../../src/shared/errors.js';

const none: LinkFilterOptions = {
  includeStreamPrefixes: [],
  includeStreamRegex: undefined,
  excludeStreamPrefixes: [],
  excludeStreamRegex: undefined,
  includeEventTypeRegex: undefined,
  excludeEventTypeRegex: undefined,
};

test('system streams are skipped; user streams, their metastreams and tombstones are copied', () => {
  const f = compileFilter(none, true);
  assert.deepEqual(f.classify('orders-1', 'Placed', 0n), { copy: true, kind: 'event', baseStream: 'orders-1' });
  assert.deepEqual(f.classify('$$orders-1', '$metadata', 0n), { copy: true, kind: 'metadata', baseStream: 'orders-1' });
  assert.deepEqual(f.classify('orders-1', '$streamDeleted', TOMBSTONE_REVISION), {
    copy: true,
    kind: 'tombstone',
    baseStream: 'orders-1',
  });
  for (const s of [
    '$stats-1',
    '$linker-checkpoint-a',
    '$$$linker-checkpoint-a',
    '$conflicts-from-a-to-b',
    '$$$users',
    '$ce-orders',
  ]) {
    assert.equal(f.classify(s, 'x', 0n).copy, false, s);
  }
  assert.deepEqual(f.classify('orders-1', '$>', 0n), { copy: false, reason: 'link-event' });
  assert.equal(compileFilter(none, false).classify('o', '$streamDeleted', TOMBSTONE_REVISION).copy, false);
});

test('server regex keeps user streams and user metastreams only', () => {
  const re = new RegExp(compileFilter(none, true).serverStreamRegex);
  for (const s of ['a', 'orders-1', '$$orders-1']) assert.ok(re.test(s), s);
  for (const s of ['$stats', '$$$settings', '$linker-checkpoint-x', '$$']) assert.ok(!re.test(s), s);
  const prefixed = new RegExp(compileFilter({ ...none, includeStreamPrefixes: ['ord.', 'x'] }, true).serverStreamRegex);
  assert.ok(prefixed.test('ord.1') && prefixed.test('$$ord.1') && prefixed.test('x'));
  assert.ok(!prefixed.test('ordX1') && !prefixed.test('y'));
});

test('stream filters apply to a metastream through its stream; type filters to user events only', () => {
  const f = compileFilter(
    { ...none, includeStreamPrefixes: ['orders-'], excludeStreamRegex: '-secret$', excludeEventTypeRegex: '^Internal' },
    true,
  );
  assert.equal(f.classify('orders-1', 'Placed', 0n).copy, true);
  assert.equal(f.classify('$$orders-1', '$metadata', 0n).copy, true);
  assert.equal(f.classify('users-1', 'Placed', 0n).copy, false);
  assert.equal(f.classify('$$orders-secret', '$metadata', 0n).copy, false);
  assert.equal(f.classify('orders-2', 'InternalNote', 1n).copy, false);
  assert.equal(f.classify('$$orders-2', '$metadata', 1n).copy, true);
  const included = compileFilter({ ...none, includeEventTypeRegex: '^Keep' }, true);
  assert.equal(included.classify('s', 'KeepMe', 0n).copy, true);
  assert.equal(included.classify('s', 'Other', 0n).copy, false);
});

test('a bad regex is a clear error with a code', () => {
  assert.throws(
    () => compileFilter({ ...none, includeStreamRegex: '(' }, true),
    (err: unknown) => isLinkerError(err, 'ESDBL_LINK_BAD_FILTER') && /includeStreamRegex/.test(err.message),
  );
});

test('baseStreamOf', () => {
  assert.deepEqual(baseStreamOf('$$a'), { base: 'a', meta: true });
  assert.deepEqual(baseStreamOf('a'), { base: 'a', meta: false });
  assert.equal(baseStreamOf('$$$a'), undefined);
  assert.equal(baseStreamOf('$a'), undefined);
});
