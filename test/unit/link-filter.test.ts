import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseStreamOf, compileFilter, NO_FILTER, TOMBSTONE_REVISION } from '../../src/link/filter/event-filter.js';
import { parseMetadata } from '../../src/link/filter/annotations.js';
import type { LinkFilterOptions } from '../../src/link/link-options.js';
import { parseMetadataRuleText, type MetadataRule } from '../../src/link/filter/metadata-match.js';
import { isLinkerError } from '../../src/shared/errors.js';

const none: LinkFilterOptions = NO_FILTER;

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

test('a bad metadata regex given in code is the same coded error', () => {
  assert.throws(
    () => compileFilter({ ...none, excludeMetadata: [{ key: 'k', regex: '[' }] }, true),
    (err: unknown) =>
      isLinkerError(err, 'ESDBL_LINK_BAD_FILTER') && /metadata regex "\[" for key "k"/.test(err.message),
  );
});

test('baseStreamOf', () => {
  assert.deepEqual(baseStreamOf('$$a'), { base: 'a', meta: true });
  assert.deepEqual(baseStreamOf('a'), { base: 'a', meta: false });
  assert.equal(baseStreamOf('$$$a'), undefined);
  assert.equal(baseStreamOf('$a'), undefined);
});

const meta = (json: string) => parseMetadata(new TextEncoder().encode(json));

test('metadata conditions: exact, Linker prefix, regex; numbers and booleans as JSON text; non-objects never match', () => {
  const rules: MetadataRule[] = [
    parsedRule('tenant:acme'),
    parsedRule('region:eu-*'),
    { key: 'user', regex: '^svc-\\d+$' },
    { key: 'priority', value: '10' },
    { key: 'big', value: '9007199254740993' },
    { key: 'flag', value: 'true' },
  ];
  const f = compileFilter({ ...none, includeMetadata: rules }, true);
  for (const yes of [
    '{"tenant":"acme"}',
    '{"other":1, "region":"eu-west"}',
    '{"region":"eu-"}',
    '{"user":"svc-12"}',
    '{"priority": 10}',
    '{"big":9007199254740993}',
    '{"flag":true}',
  ]) {
    assert.equal(f.selectEvent(meta(yes)), true, yes);
  }
  for (const no of [
    '{"tenant":"acme-corp"}',
    '{"tenant":"Acme"}',
    '{"region":"us-east"}',
    '{"user":"svc-x"}',
    '{"priority":"100"}',
    '{"big":9007199254740992}',
    '{"flag":false}',
    '{"tenant":null}',
    '{"tenant":{"name":"acme"}}',
    '{"tenant":["acme"]}',
    '{}',
    '["tenant","acme"]',
    '"tenant:acme"',
    'not json',
  ]) {
    assert.equal(f.selectEvent(meta(no)), false, no);
  }
  assert.equal(f.selectEvent(undefined), false, 'empty metadata never matches an include');
  assert.equal(f.selectsEvents, true);
  assert.equal(compileFilter(none, true).selectsEvents, false);
});

test('excludes win over includes; an exclude alone drops only matching events', () => {
  const f = compileFilter(
    { ...none, includeMetadata: [parsedRule('tenant:*')], excludeMetadata: [parsedRule('tenant:test*')] },
    true,
  );
  assert.equal(f.selectEvent(meta('{"tenant":"acme"}')), true);
  assert.equal(f.selectEvent(meta('{"tenant":"test-1"}')), false);
  assert.equal(f.selectEvent(meta('{"other":"x"}')), false);
  const excludeOnly = compileFilter({ ...none, excludeMetadata: [parsedRule('$local:*')] }, true);
  assert.equal(excludeOnly.selectEvent(undefined), true, 'no metadata: nothing to exclude');
  assert.equal(excludeOnly.selectEvent(meta('"bytes"')), true);
  assert.equal(excludeOnly.selectEvent(meta('{"$local":"yes"}')), false);
});

test('localOnly keeps events without $origin; fromNodes keeps the first writer of the $origin chain', () => {
  const local = compileFilter({ ...none, localOnly: true }, true, 'dc2');
  assert.equal(local.selectEvent(undefined), true);
  assert.equal(local.selectEvent(meta('{"tenant":"a"}')), true);
  assert.equal(local.selectEvent(meta('{"$origin":""}')), true);
  assert.equal(local.selectEvent(meta('{"$origin":"dc1"}')), false);
  assert.equal(local.selectEvent(meta('{"$origin":"edge,dc1"}')), false);
  // Metadata that is not a JSON object cannot carry $origin: it counts as written where it is read.
  assert.equal(local.selectEvent(meta('[1,2]')), true);

  const from = compileFilter({ ...none, fromNodes: ['edge', 'dc2'] }, true, 'dc2');
  assert.equal(from.selectEvent(undefined), true, 'written on dc2 itself');
  assert.equal(from.selectEvent(meta('{"$origin":"edge,dc1"}')), true, 'first written on edge');
  assert.equal(from.selectEvent(meta('{"$origin":"dc1"}')), false);
  assert.equal(from.selectEvent(meta('{"$origin":"dc1,edge"}')), false, 'only the first entry counts');
  assert.equal(compileFilter({ ...none, fromNodes: ['dc1'] }, true, 'dc2').selectEvent(undefined), false);
});

test('parseMetadataRuleText follows Linker: first colon splits, trailing stars make a prefix', () => {
  assert.deepEqual(parseMetadataRuleText('a:b:c'), { key: 'a', value: 'b:c' });
  assert.deepEqual(parseMetadataRuleText('a:b**'), { key: 'a', prefix: 'b' });
  assert.deepEqual(parseMetadataRuleText('a:*'), { key: 'a', prefix: '' });
  assert.deepEqual(parseMetadataRuleText('a:'), { key: 'a', value: '' });
  assert.ok('error' in parseMetadataRuleText('ab'));
  assert.ok('error' in parseMetadataRuleText(':b'));
});

function parsedRule(text: string): MetadataRule {
  const rule = parseMetadataRuleText(text);
  if ('error' in rule) assert.fail(rule.error);
  return rule;
}
