import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANONYMOUS, SYSTEM } from '../../src/emulator/security/authentication.js';
import { mayOperateNode } from '../../src/emulator/security/operations-access.js';

const user = (name: string, ...groups: string[]) => ({ kind: 'user' as const, name, groups });

test('ResignNode/Shutdown: role $admins or $ops, or the names admin and ops, as the real policy', () => {
  assert.equal(mayOperateNode(user('admin')), true, 'the name admin, even without its group');
  assert.equal(mayOperateNode(user('ops')), true, 'the name ops, even without its group');
  assert.equal(mayOperateNode(user('alice', '$admins')), true);
  assert.equal(mayOperateNode(user('bob', 'readers', '$ops')), true);
  assert.equal(mayOperateNode(SYSTEM), true);
});

test('anyone else may not: a plain user, other groups, anonymous', () => {
  assert.equal(mayOperateNode(user('carol')), false);
  assert.equal(mayOperateNode(user('dave', 'replicators', '$all')), false);
  assert.equal(mayOperateNode(ANONYMOUS), false);
});
