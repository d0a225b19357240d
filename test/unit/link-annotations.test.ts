import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  annotateMetadata,
  copyDecision,
  dotnetRoundTrip,
  loopDecision,
  replicaSource,
  withStringKeys,
} from '../../src/link/filter/annotations.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const created = new Date('2026-01-02T03:04:05.678Z');
const input = { originNode: 'dc1', streamId: 'orders-1', revision: 41n, createdMs: created.getTime() };

function annotate(meta: string | Uint8Array): string {
  return dec.decode(annotateMetadata(typeof meta === 'string' ? enc.encode(meta) : meta, input));
}

test('annotations are appended to a JSON object, every user byte kept', () => {
  const original =
    '{ "$correlationId" : "c-1", "$causationId":"c-0", "big": 9223372036854775807, "f": 1.50, "n": {"a":[1,{"}":"]"}]} }';
  const out = annotate(original);
  assert.equal(
    out,
    '{ "$correlationId" : "c-1", "$causationId":"c-0", "big": 9223372036854775807, "f": 1.50, "n": {"a":[1,{"}":"]"}]} ,"$origin":"dc1","$applies":"2026-01-02T03:04:05.6780000Z","$eventStreamId":"orders-1","$eventNumber":41}',
  );
  assert.equal(JSON.parse(out).$eventNumber, 41);
});

test('empty metadata becomes an object with the annotations (as Linker does)', () => {
  assert.equal(
    annotate(new Uint8Array(0)),
    '{"$origin":"dc1","$applies":"2026-01-02T03:04:05.6780000Z","$eventStreamId":"orders-1","$eventNumber":41}',
  );
  assert.equal(annotate('{}'), annotate(new Uint8Array(0)));
});

test('a second hop extends $origin and keeps the first hop keys', () => {
  const first = '{"x":1,"$origin":"dc0","$applies":"A","$eventStreamId":"s","$eventNumber":7}';
  assert.equal(annotate(first), '{"x":1,"$origin":"dc0,dc1","$applies":"A","$eventStreamId":"s","$eventNumber":7}');
});

test('metadata that is not a JSON object is copied byte for byte', () => {
  for (const meta of ['[1,2]', '"text"', '42', 'null', 'not json {', '{"unterminated": ']) {
    assert.equal(annotate(meta), meta);
  }
  const binary = new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]);
  assert.deepEqual(annotateMetadata(binary, input), binary);
});

test('loop prevention: $origin naming the destination or the origin, or $local, drops the event', () => {
  const m = (s: string) => enc.encode(s);
  assert.deepEqual(loopDecision(m('{"$origin":"dc2"}'), 'dc1', 'dc2'), { copy: false, reason: 'destination-loop' });
  assert.deepEqual(loopDecision(m('{"$origin":"dc0, DC2"}'), 'dc1', 'dc2'), {
    copy: false,
    reason: 'destination-loop',
  });
  assert.deepEqual(loopDecision(m('{"$origin":"dc1,dc0"}'), 'dc1', 'dc2'), { copy: false, reason: 'origin-loop' });
  assert.deepEqual(loopDecision(m('{"$local":true}'), 'dc1', 'dc2'), { copy: false, reason: 'local' });
  assert.deepEqual(loopDecision(m('{"$local":false}'), 'dc1', 'dc2'), { copy: true });
  assert.deepEqual(loopDecision(m('{"$origin":"dc22"}'), 'dc1', 'dc2'), { copy: true });
  assert.deepEqual(loopDecision(m('[1]'), 'dc1', 'dc2'), { copy: true });
  assert.deepEqual(loopDecision(new Uint8Array(0), 'dc1', 'dc2'), { copy: true });
});

test('conflict keys overwrite or extend, and refuse non-object metadata', () => {
  const out = withStringKeys(enc.encode('{"$error":"old","a":9007199254740993}'), { $error: 'new', $x: 'y' });
  assert.equal(dec.decode(out), '{"$error":"new","a":9007199254740993,"$x":"y"}');
  assert.equal(withStringKeys(enc.encode('[1]'), { a: 'b' }), undefined);
});

test('replicaSource reads $eventNumber textually', () => {
  const src = replicaSource(enc.encode('{"$eventStreamId":"s","$eventNumber":9223372036854775806}'));
  assert.deepEqual(src, { streamId: 's', revision: 9223372036854775806n });
  assert.equal(replicaSource(enc.encode('{"$eventNumber":1}')), undefined);
});

test('dotnetRoundTrip renders seven fractional digits', () => {
  assert.equal(dotnetRoundTrip(new Date('2026-11-23T14:16:42.001Z')), '2026-11-23T14:16:42.0010000Z');
});

test('the direct annotation of empty metadata is byte for byte the edit of "{}", for awkward names too', () => {
  for (const streamId of ['orders-1', 'quote"back\\slash', 'ünïcode-流', 'line\nbreak']) {
    for (const revision of [0n, 41n, 9223372036854775806n]) {
      for (const when of [created, new Date(0), new Date('2026-01-02T03:04:05.678Z')]) {
        // Two nodes in turn at the same millisecond: the cached head must follow the node as well.
        for (const originNode of ['dc"1', 'dc-2', 'dc"1']) {
          const i = { originNode, streamId, revision, createdMs: when.getTime() };
          assert.equal(
            dec.decode(annotateMetadata(new Uint8Array(0), i)),
            dec.decode(annotateMetadata(enc.encode('{}'), i)),
            `${originNode} ${streamId}@${revision}`,
          );
        }
      }
    }
  }
});

test('copyDecision drops loops before annotating and annotates what it copies', () => {
  const nodes = { origin: 'dc1', destination: 'dc2' };
  assert.deepEqual(copyDecision(enc.encode('{"$origin":"dc2"}'), nodes, input), {
    copy: false,
    reason: 'destination-loop',
  });
  const kept = copyDecision(enc.encode('{"a":1}'), nodes, undefined);
  assert.ok(kept.copy);
  assert.equal(dec.decode(kept.metadata), '{"a":1}');
  const annotated = copyDecision(enc.encode('{"a":1}'), nodes, input);
  assert.ok(annotated.copy);
  assert.equal(dec.decode(annotated.metadata), annotate('{"a":1}'));
});
