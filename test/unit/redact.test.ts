import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactConnectionString, redactText } from '../../src/shared/redact.js';

test('redactConnectionString masks user and password', () => {
  assert.equal(redactConnectionString('esdb://admin:changeit@db1:2113?tls=true'), 'esdb://***:***@db1:2113?tls=true');
  assert.equal(redactConnectionString('esdb://127.0.0.1:2113?tls=false'), 'esdb://127.0.0.1:2113?tls=false');
});

test('redactText masks every connection string inside free text', () => {
  const text = 'cannot reach esdb+discover://ops:s3cret@a:2113,b:2113 nor esdb://u:p@c:1';
  const out = redactText(text);
  assert.ok(!out.includes('s3cret') && !out.includes('u:p@'), out);
  assert.match(out, /esdb\+discover:\/\/\*\*\*:\*\*\*@a:2113/);
});
