import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  isAllowed,
  parseStreamAcl,
  parseSystemSettings,
  type Acl,
  type AclSource,
} from '../../src/emulator/security/acl.js';
import type { Principal } from '../../src/emulator/security/authentication.js';
import {
  certificatesFromFiles,
  devCertificates,
  issueUserCertificate,
} from '../../src/emulator/security/certificates.js';
import { parseUserSpec, UserDirectory } from '../../src/emulator/security/users.js';
import { accessFailure, neededRight } from '../../src/link/recovery/access-errors.js';
import { errorKind } from '../../src/link/recovery/error-kinds.js';

const ops: Principal = { kind: 'user', name: 'ops', groups: ['$ops'] };
const admin: Principal = { kind: 'user', name: 'admin', groups: ['$admins'] };
const anonymous: Principal = { kind: 'anonymous' };

function source(settings: { user?: Acl; system?: Acl } = {}, acls: Record<string, Acl> = {}): AclSource {
  return {
    settings: () => ({ userStreamAcl: settings.user, systemStreamAcl: settings.system }),
    streamAcl: (s) => acls[s],
  };
}

describe('ACL evaluation (LegacyStreamPermissionAssertion)', () => {
  test('defaults: user streams for any authenticated user, $-streams and $all reads for admins', () => {
    const s = source();
    assert.equal(isAllowed(ops, 'orders', 'write', s), true);
    assert.equal(isAllowed(anonymous, 'orders', 'read', s), false);
    assert.equal(isAllowed(ops, '$all', 'read', s), false);
    assert.equal(isAllowed(admin, '$all', 'read', s), true);
    assert.equal(isAllowed(ops, '$linker-checkpoint-a', 'write', s), false);
    assert.equal(isAllowed(ops, '$$$linker-checkpoint-a', 'write', s), false);
    assert.equal(isAllowed(ops, '$$orders', 'write', s), true);
  });

  test('$all writes and $$ deletes are denied to everyone, system included', () => {
    for (const p of [admin, { kind: 'system' } as const]) {
      assert.equal(isAllowed(p, '$all', 'write', source()), false);
      assert.equal(isAllowed(p, '', 'delete', source()), false);
      assert.equal(isAllowed(p, '$$orders', 'delete', source()), false);
    }
  });

  test('per-field fallback: stream $acl, then $settings, then the default; user names act as roles', () => {
    const s = source({ user: { write: ['$admins'] } }, { orders: { read: ['ops'] }, locked: { metadataWrite: [] } });
    assert.equal(isAllowed(ops, 'orders', 'read', s), true);
    assert.equal(isAllowed(ops, 'orders', 'write', s), false, '$settings $w applies where $acl has none');
    assert.equal(isAllowed(ops, 'other', 'delete', s), true, 'the default fills a field $settings leaves out');
    assert.equal(isAllowed(ops, '$$locked', 'write', s), false, 'an empty list means admins only');
    assert.equal(isAllowed(admin, '$$locked', 'write', s), true);
  });

  test('parses $acl strings and arrays, and ignores documents that are not objects', () => {
    assert.deepEqual(parseStreamAcl(Buffer.from('{"$acl":{"$r":"ops","$w":["a","b"],"$x":1}}')), {
      read: ['ops'],
      write: ['a', 'b'],
    });
    assert.equal(parseStreamAcl(Buffer.from('[1]')), undefined);
    assert.equal(parseSystemSettings(Buffer.from('not json')), undefined);
  });
});

describe('users', () => {
  test('defaults, extra users with groups, and replacement by name', () => {
    const users = new UserDirectory([parseUserSpec('alice:pw:readers, writers'), parseUserSpec('admin:new')]);
    assert.deepEqual(users.verify('alice', 'pw')?.groups, ['readers', 'writers']);
    assert.equal(users.verify('alice', 'nope'), undefined);
    assert.equal(users.verify('admin', 'changeit'), undefined);
    assert.ok(users.verify('admin', 'new'));
    assert.ok(users.verify('ops', 'changeit'));
  });

  test('a malformed spec names the form without echoing the password', () => {
    assert.throws(() => parseUserSpec('bob'), /NAME:PASSWORD/);
    assert.throws(
      () => parseUserSpec('bob:secret:a:b'),
      (err: Error) => !err.message.includes('secret') && /NAME:PASSWORD/.test(err.message),
    );
  });
});

describe('development certificates', () => {
  test('reused on restart; a new host re-issues the node certificate under the same CA', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'esdb-linker-certs-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const first = await devCertificates(dir, ['127.0.0.1', 'localhost']);
    const again = await devCertificates(dir, ['127.0.0.1', 'localhost']);
    assert.equal(again.certPem, first.certPem);
    const node = new X509Certificate(first.certPem);
    assert.match(node.subject, /CN=eventstoredb-node/);
    assert.equal(node.checkIP('127.0.0.1'), '127.0.0.1');
    assert.ok(node.checkIssued(new X509Certificate(first.caPem)));
    const moved = await devCertificates(dir, ['127.0.0.1', 'localhost', 'db.test']);
    assert.equal(moved.caPem, first.caPem);
    assert.notEqual(moved.certPem, first.certPem);
    assert.equal(new X509Certificate(moved.certPem).checkHost('db.test'), 'db.test');

    const user = await issueUserCertificate(moved, 'alice', dir);
    const cert = new X509Certificate(readFileSync(user.certFile));
    assert.match(cert.subject, /CN=alice/);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  });

  test('own files must all be readable PEM certificates', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'esdb-linker-certs-test-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'bad.crt'), 'not a certificate');
    assert.throws(
      () => certificatesFromFiles({ cert: join(dir, 'missing.crt'), key: join(dir, 'k'), ca: join(dir, 'c') }),
      /certificate file '.*missing\.crt' cannot be read/,
    );
    writeFileSync(join(dir, 'k'), 'x');
    assert.throws(
      () => certificatesFromFiles({ cert: join(dir, 'bad.crt'), key: join(dir, 'k'), ca: join(dir, 'bad.crt') }),
      /not PEM certificates/,
    );
  });
});

describe('access errors in the daemon', () => {
  const denied = Object.assign(new Error('7 PERMISSION_DENIED: Access Denied'), { type: 'access-denied' });
  const unauthenticated = Object.assign(new Error('16 UNAUTHENTICATED: Unauthenticated'), { type: 'access-denied' });
  const where = { link: 'l', nodeFor: () => ({ name: 'dc2', user: 'ops' }) };

  test('access denied is its own kind: neither retried nor a refused event', () => {
    assert.equal(errorKind(denied), 'access-denied');
  });

  test('messages name link, node, user and the right; UNAUTHENTICATED is an auth failure', () => {
    const write = accessFailure(denied, where, { side: 'destination', action: 'write', stream: 'orders' });
    assert.equal(write?.code, 'ESDBL_ACCESS_DENIED');
    assert.match(write.message, /^link l: user 'ops' may not write orders on destination node dc2 .*\$w right/);
    const auth = accessFailure(unauthenticated, where, { side: 'destination', action: 'write', stream: 'orders' });
    assert.equal(auth?.code, 'ESDBL_AUTH_FAILED');
    assert.match(auth.message, /destination node dc2 rejected the credentials of user 'ops'/);
    assert.equal(
      accessFailure(new Error('other'), where, { side: 'origin', action: 'read', stream: '$all' }),
      undefined,
    );
    assert.match(
      neededRight({ side: 'origin', action: 'read', stream: '$all' }, 'ops'),
      /reading \$all needs \$admins/,
    );
    assert.match(neededRight({ side: 'destination', action: 'write', stream: '$$orders' }, 'ops'), /\$mw/);
    assert.match(neededRight({ side: 'origin', action: 'read', stream: '$all' }, undefined), /anonymous/);
  });
});
