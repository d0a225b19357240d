import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonObjectBytes, parseJsonObjectText } from '../../src/verify/json-object-text.js';

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
