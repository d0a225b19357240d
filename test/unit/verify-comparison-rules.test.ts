import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLinkerError } from '../../src/shared/errors.js';
import { compareMetadata, describeByteDifference } from '../../src/verify/event-comparison.js';
import { StreamSelection } from '../../src/verify/stream-selection.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

test('metadata: replication annotations are ignored by default, other keys are not', () => {
  const origin = bytes('{"user":"ann","big":12345678901234567890}');
  const copy = bytes('{"user":"ann","big":12345678901234567890,"$origin":"dc1","$applies":"x","$eventNumber":3}');
  assert.equal(compareMetadata(origin, copy, true), undefined);
  assert.match(compareMetadata(origin, copy, false) ?? '', /first difference at byte/);

  const changed = bytes('{"user":"ann","big":12345678901234567891}');
  assert.match(
    compareMetadata(origin, changed, true) ?? '',
    /key "big": origin 12345678901234567890, destination 12345678901234567891/,
  );
  assert.match(compareMetadata(origin, bytes('{"user":"ann"}'), true) ?? '', /key "big" only in origin/);
  assert.match(compareMetadata(bytes('{}'), bytes('{"x":1}'), true) ?? '', /key "x" only in destination/);
});

test('metadata: an annotated copy of an event without metadata is equal; non-object metadata is compared byte for byte', () => {
  assert.equal(compareMetadata(new Uint8Array(), bytes('{"$origin":"dc1"}'), true), undefined);
  assert.equal(compareMetadata(new Uint8Array(), new Uint8Array(), true), undefined);
  assert.equal(compareMetadata(bytes('not json'), bytes('not json'), true), undefined);
  assert.notEqual(compareMetadata(bytes('not json'), bytes('not jsoN'), true), undefined);
  assert.notEqual(compareMetadata(bytes('[1]'), bytes('{"$origin":"dc1"}'), true), undefined);
});

test('byte differences name the first differing offset and both lengths', () => {
  assert.equal(describeByteDifference(bytes('abc'), bytes('abc')), undefined);
  assert.match(
    describeByteDifference(bytes('abc'), bytes('abd')) ?? '',
    /at byte 2 \(origin 3 bytes, destination 3 bytes\)/,
  );
  assert.match(describeByteDifference(bytes('ab'), bytes('abc')) ?? '', /at byte 2 .*origin <end>/);
  assert.match(describeByteDifference(new Uint8Array([0, 1]), new Uint8Array([0, 2])) ?? '', /0x0001/);
});

test('stream selection: system streams, metastreams, filters and the destination prefix', () => {
  assert.equal(StreamSelection.userStreamOf('orders-1'), 'orders-1');
  assert.equal(StreamSelection.userStreamOf('$$orders-1'), 'orders-1');
  assert.equal(StreamSelection.userStreamOf('$linker-checkpoint-a'), undefined);
  assert.equal(StreamSelection.userStreamOf('$$$linker-checkpoint-a'), undefined);
  assert.equal(StreamSelection.userStreamOf('$$'), undefined);

  const selection = new StreamSelection({
    includeStreamPrefixes: ['orders-', 'users-'],
    excludeStreamPrefixes: ['orders-tmp'],
    excludeStreamRegex: '-test$',
    streamPrefix: 'dc1.',
  });
  assert.equal(selection.includes('orders-1'), true);
  assert.equal(selection.includes('users-1'), true);
  assert.equal(selection.includes('carts-1'), false);
  assert.equal(selection.includes('orders-tmp-1'), false);
  assert.equal(selection.includes('orders-1-test'), false);
  assert.equal(selection.destinationNameOf('orders-1'), 'dc1.orders-1');
  assert.equal(selection.originNameOf('dc1.orders-1'), 'orders-1');
  assert.equal(selection.originNameOf('dc2.orders-1'), undefined);
});

test('stream selection rejects an invalid regex with a stable code naming the option', () => {
  assert.throws(
    () => new StreamSelection({ includeStreamRegex: '(' }),
    (err: unknown) => isLinkerError(err, 'ESDBL_VERIFY_BAD_OPTION') && err.message.includes('includeStreamRegex'),
  );
});
