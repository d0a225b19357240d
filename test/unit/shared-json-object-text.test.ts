import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  editJsonObject,
  jsonObjectText,
  layoutOf,
  parseJsonObjectBytes,
  parseJsonObjectText,
} from '../../src/shared/json-object-text.js';

const enc = new TextEncoder();

test('keeps every digit of numbers beyond 2^53', () => {
  const a = parseJsonObjectText('{"$tb": 9223372036854775807}');
  const b = parseJsonObjectText('{"$tb":9223372036854775806}');
  assert.equal(a?.get('$tb'), '9223372036854775807');
  assert.notEqual(a?.get('$tb'), b?.get('$tb'));
  // JSON.parse cannot tell them apart, which is why the texts are compared.
  assert.equal(JSON.parse('9223372036854775807'), JSON.parse('9223372036854775806'));
});

test('drops whitespace outside strings and keeps it inside', () => {
  const parsed = parseJsonObjectText('{ "a" : { "b" : [ 1 , 2 ] } ,\n"s": " x  y " }');
  assert.deepEqual(
    [...parsed!.entries()],
    [
      ['a', '{"b":[1,2]}'],
      ['s', '" x  y "'],
    ],
  );
});

test('handles escapes in keys and values, nested strings with braces, and last duplicate wins', () => {
  const parsed = parseJsonObjectText('{"k\\"ey": "va\\"l}ue", "d": 1, "d": 2, "e": "{[", "t": true, "n": null}');
  assert.equal(parsed?.get('k"ey'), '"va\\"l}ue"');
  assert.equal(parsed?.get('d'), '2');
  assert.equal(parsed?.get('e'), '"{["');
  assert.equal(parsed?.get('t'), 'true');
  assert.equal(parsed?.get('n'), 'null');
});

test('returns undefined for anything that is not one JSON object', () => {
  for (const text of ['', '[]', '"x"', '12', '{', '{"a":}', '{"a":1,}', '{"a":1} x', '{a:1}', '{"a":tru}', 'null']) {
    assert.equal(parseJsonObjectText(text), undefined, text);
  }
  assert.deepEqual(parseJsonObjectText(' {} '), new Map());
});

test('bytes: invalid UTF-8 and empty input are not objects', () => {
  assert.equal(parseJsonObjectBytes(new Uint8Array([0x7b, 0xff, 0x7d])), undefined);
  assert.equal(parseJsonObjectBytes(new Uint8Array()), undefined);
  assert.equal(parseJsonObjectBytes(new TextEncoder().encode('{"é":"ü"}'))?.get('é'), '"ü"');
});

// From the link's annotation tests: the layout the link splices into.
test('layoutOf finds top-level members past nested strings and escapes', () => {
  const text = '{"a":"x\\"}","b":{"c":"}"},"d":[{"e":1}], "f" : true}';
  assert.ok(jsonObjectText(enc.encode(text)));
  const layout = layoutOf(text);
  assert.deepEqual([...layout.members.keys()], ['a', 'b', 'd', 'f']);
  assert.equal(text.slice(layout.members.get('b')!.valueStart, layout.members.get('b')!.valueEnd), '{"c":"}"}');
  assert.equal(
    editJsonObject(text, [{ key: 'f', set: () => 'false' }]),
    '{"a":"x\\"}","b":{"c":"}"},"d":[{"e":1}], "f" : false}',
  );
});

test('both readers agree on which bytes are one JSON object, BOM included', () => {
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"a": 1}')]);
  assert.equal(jsonObjectText(bom)?.text, '{"a": 1}');
  assert.deepEqual(parseJsonObjectBytes(bom), new Map([['a', '1']]));
  for (const text of ['[]', '{"a":"\\x"}', '{"a":{"k\\u12":1}}', '{"a":1}{}', '{"a":"\u0001"}']) {
    assert.equal(jsonObjectText(enc.encode(text)), undefined, text);
    assert.equal(parseJsonObjectBytes(enc.encode(text)), undefined, text);
  }
});

test('member texts come from the same spans the link edits', () => {
  const text = '{"n": 9223372036854775807, "o" : { "p" : [ 1 ,\t2 ] }, "n": -1.5e3 }';
  const layout = layoutOf(text);
  const entries = parseJsonObjectText(text)!;
  assert.deepEqual([...entries.keys()], [...layout.members.keys()]);
  assert.equal(entries.get('n'), '-1.5e3');
  assert.equal(entries.get('o'), '{"p":[1,2]}');
  assert.equal(editJsonObject(text, [{ key: 'n', set: (old) => old! }]), text);
});

test('numbers of any length and deep nesting are read like JSON.parse reads them', () => {
  const digits = '1'.repeat(500);
  assert.equal(parseJsonObjectText(`{"a":${digits}}`)?.get('a'), digits);
  const depth = 20_000;
  const nested = '['.repeat(depth) + ']'.repeat(depth);
  assert.equal(parseJsonObjectText(`{"a": ${nested}}`)?.get('a'), nested);
});
