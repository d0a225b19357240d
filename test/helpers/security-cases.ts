// The security conformance cases (reference tables 1.3, 1.6 and 1.7), written once against the API both clients
// share, so `@eventstore/db-client` and `@kurrent/kurrentdb-client` each run them in their own process (their
// generated protobuf classes cannot share one).
import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { describe, test, type TestContext } from 'node:test';
import { collect, uniqueStream, waitUntil } from './conformance-server.js';
import {
  SECURE_URL,
  openSecureServer,
  secureEmulatorOnly,
  userCertificateSkipReason,
  type SecureServer,
} from './secure-server.js';

export interface SecurityClient {
  appendToStream(stream: string, events: unknown): Promise<unknown>;
  readStream(stream: string, options?: object): AsyncIterable<unknown>;
  readAll(options?: object): AsyncIterable<unknown>;
  subscribeToStream(stream: string, options?: object): Readable;
  subscribeToAll(options?: object): Readable;
  setStreamMetadata(stream: string, metadata: object): Promise<unknown>;
  getStreamMetadata(stream: string): Promise<unknown>;
  deleteStream(stream: string): Promise<unknown>;
  tombstoneStream(stream: string): Promise<unknown>;
  dispose(): Promise<void>;
}

export interface SecurityClientApi {
  readonly name: string;
  connect(connectionString: string): SecurityClient;
  event(type: string, data: Record<string, unknown>): unknown;
  readonly AccessDeniedError: abstract new (...args: never[]) => Error;
  /** Whether to run every case over both append RPCs (BatchAppend advertised or not). */
  readonly bothAppendPaths: boolean;
  /**
   * Whether error messages show the gRPC status (`16 UNAUTHENTICATED: ...`). The kurrent client's reads go
   * through its Rust bridge, whose errors carry only the class name, so there only the error class is checked.
   */
  readonly statusInMessages: boolean;
}

const DEFAULT_SETTINGS = {
  $userStreamAcl: { $r: '$all', $w: '$all', $d: '$all', $mr: '$all', $mw: '$all' },
  $systemStreamAcl: { $r: '$admins', $w: '$admins', $d: '$admins', $mr: '$admins', $mw: '$admins' },
};

export function defineSecurityCases(api: SecurityClientApi): void {
  const paths = api.bothAppendPaths ? [true, false] : [true];
  for (const batchAppend of paths) {
    const label = batchAppend ? 'BatchAppend advertised' : 'classic Append';
    const skip =
      SECURE_URL !== undefined && !batchAppend
        ? 'ESDB_SECURE_URL is set: a real server always advertises BatchAppend, so this pass needs the emulator'
        : undefined;
    describe(`security with ${api.name} (${label})`, { skip }, () => {
      const open = async (t: TestContext) => {
        const server = await openSecureServer(t, { batchAppend });
        const connect = (cs: string): SecurityClient => {
          const client = api.connect(cs);
          server.addCleanup(() => client.dispose());
          return client;
        };
        return { server, connect, admin: connect(server.connectionString) };
      };
      const event = (n = 0): unknown => api.event('SecurityCase', { n });
      const denied = async (what: string, action: () => Promise<unknown>, wire?: RegExp): Promise<Error> => {
        let caught: unknown;
        try {
          await action();
        } catch (err) {
          caught = err;
        }
        assert.ok(
          caught instanceof api.AccessDeniedError,
          `${what}: expected AccessDeniedError, got ${String(caught)}`,
        );
        if (wire !== undefined && api.statusInMessages) assert.match(caught.message, wire, what);
        return caught;
      };
      const unauthenticated = /16 UNAUTHENTICATED: Unauthenticated/;
      const permissionDenied = /7 PERMISSION_DENIED: Access Denied/;

      test('the printed connection string works as printed: TLS with the CA file, admin by default', async (t) => {
        const { admin } = await open(t);
        const stream = uniqueStream('sec-printed');
        await admin.appendToStream(stream, event());
        assert.equal((await collect(admin.readStream(stream))).length, 1);
        assert.ok((await collect(admin.readAll({ maxCount: 10 }))).length >= 1, 'admin reads $all');
      });

      test('wrong password and unknown user end every call with UNAUTHENTICATED (AccessDeniedError)', async (t) => {
        const { server, connect, admin } = await open(t);
        const stream = uniqueStream('sec-badpw');
        await admin.appendToStream(stream, event());
        for (const [user, password] of [
          ['admin', 'wrong'],
          ['nobody-here', 'changeit'],
        ] as const) {
          const client = connect(server.as(user, password));
          await denied(`${user} read`, () => collect(client.readStream(stream)), unauthenticated);
          await denied(`${user} readAll`, () => collect(client.readAll({ maxCount: 1 })), unauthenticated);
          await denied(`${user} append`, () => client.appendToStream(stream, event()));
          await denied(`${user} delete`, () => client.deleteStream(stream), unauthenticated);
        }
        assert.equal((await collect(admin.readStream(stream))).length, 1, 'nothing was written');
      });

      test('anonymous calls are denied stream access (PERMISSION_DENIED), while discovery stays anonymous', async (t) => {
        const { server, connect, admin } = await open(t);
        const stream = uniqueStream('sec-anon');
        await admin.appendToStream(stream, event());
        const anonymous = connect(server.as(undefined));
        await denied('anonymous read', () => collect(anonymous.readStream(stream)), permissionDenied);
        await denied('anonymous append', () => anonymous.appendToStream(stream, event()));
        await denied('anonymous delete', () => anonymous.deleteStream(stream), permissionDenied);
        // Two seeds force gossip discovery, which the client always does without credentials.
        const seeds = server.connectionString.replace(/@([^/?]+)/, (_m, hp: string) => `@${hp},${hp}`);
        const viaGossip = connect(seeds);
        await viaGossip.appendToStream(stream, event(1));
        assert.equal((await collect(admin.readStream(stream))).length, 2);
      });

      test('ops (and any non-admin) may use user streams but not $all or $-streams', async (t) => {
        const { server, connect, admin } = await open(t);
        const stream = uniqueStream('sec-ops');
        const checkpoint = `$linker-checkpoint-${uniqueStream('sec')}`;
        const ops = connect(server.as('ops'));
        await ops.appendToStream(stream, event());
        assert.equal((await collect(ops.readStream(stream))).length, 1);
        await ops.setStreamMetadata(stream, { maxCount: 10 });
        assert.ok(await ops.getStreamMetadata(stream));
        await denied('ops readAll', () => collect(ops.readAll({ maxCount: 1 })), permissionDenied);
        await denied('ops append $-stream', () => ops.appendToStream(checkpoint, event()));
        await denied('ops read $-stream', () => collect(ops.readStream(checkpoint)), permissionDenied);
        await denied('ops metadata of $-stream', () => ops.setStreamMetadata(checkpoint, { maxCount: 1 }));
        await denied('ops delete $-stream', () => ops.deleteStream(checkpoint), permissionDenied);
        await denied('ops subscribe $all', () => nextError(ops.subscribeToAll()));
        await admin.appendToStream(checkpoint, event());
        await admin.setStreamMetadata(checkpoint, { maxCount: 1 });
        assert.equal((await collect(admin.readStream(checkpoint))).length, 1, 'admin may do all of it');
        await ops.deleteStream(stream);
      });

      test('$settings overrides the default ACLs, and stream $acl overrides $settings per field', async (t) => {
        const { server, connect, admin } = await open(t);
        // Restores the defaults on a real server; runs before the emulator stops.
        server.addCleanup(() => admin.appendToStream('$settings', api.event('settings', DEFAULT_SETTINGS)));
        const ops = connect(server.as('ops'));
        const stream = uniqueStream('sec-settings');
        await admin.appendToStream(stream, event());
        await admin.appendToStream(
          '$settings',
          api.event('settings', {
            $userStreamAcl: { ...DEFAULT_SETTINGS.$userStreamAcl, $w: '$admins' },
            $systemStreamAcl: { ...DEFAULT_SETTINGS.$systemStreamAcl, $r: ['$admins', '$ops'] },
          }),
        );
        assert.ok((await collect(ops.readAll({ maxCount: 1 }))).length >= 1, '$ops granted $all reads');
        await denied('user streams now admin-only for writes', () => ops.appendToStream(stream, event(1)));
        assert.equal((await collect(ops.readStream(stream))).length, 1, 'reads fall back per field');
        // A stream's own $acl beats $settings: a user name works as a role.
        await admin.setStreamMetadata(stream, { acl: { writeRoles: ['ops'] } });
        await ops.appendToStream(stream, event(2));
        await admin.setStreamMetadata(stream, { acl: { readRoles: ['$admins'], writeRoles: ['ops'] } });
        await denied('read locked by $acl', () => collect(ops.readStream(stream)), permissionDenied);
        await ops.appendToStream(stream, event(3));
        await admin.appendToStream('$settings', api.event('settings', DEFAULT_SETTINGS));
        await denied('$all closed again', () => collect(ops.readAll({ maxCount: 1 })), permissionDenied);
      });

      test('$$ metadata streams follow the stream $mr/$mw; deleting $$x and writing $all are always denied', async (t) => {
        const { server, connect, admin } = await open(t);
        const ops = connect(server.as('ops'));
        const stream = uniqueStream('sec-meta');
        await ops.appendToStream(stream, event());
        await ops.setStreamMetadata(stream, { maxCount: 5 });
        await admin.setStreamMetadata(stream, { acl: { metaWriteRoles: ['$admins'], metaReadRoles: ['$admins'] } });
        await denied('ops $mw', () => ops.setStreamMetadata(stream, { maxCount: 6 }));
        await denied('ops $mr', () => ops.getStreamMetadata(stream), permissionDenied);
        await denied('ops read $$', () => collect(ops.readStream(`$$${stream}`)), permissionDenied);
        await ops.appendToStream(stream, event(1));
        await denied('admin delete $$', () => admin.deleteStream(`$$${stream}`), permissionDenied);
        await denied('admin tombstone $$', () => admin.tombstoneStream(`$$${stream}`), permissionDenied);
        await denied('admin append $all', () => admin.appendToStream('$all', event()));
        await denied('admin delete $all', () => admin.deleteStream('$all'), permissionDenied);
      });

      test('each denied append is answered on its own, and other appends of the client go on', async (t) => {
        const { server, connect } = await open(t);
        const ops = connect(server.as('ops'));
        const stream = uniqueStream('sec-batch');
        const checkpoint = `$linker-checkpoint-${uniqueStream('sec')}`;
        const results = await Promise.allSettled([
          ops.appendToStream(checkpoint, event()),
          ops.appendToStream(stream, event(1)),
          ops.appendToStream(checkpoint, event(2)),
          ops.appendToStream(stream, event(3)),
        ]);
        assert.deepEqual(
          results.map((r) => r.status),
          ['rejected', 'fulfilled', 'rejected', 'fulfilled'],
        );
        for (const r of results) {
          if (r.status !== 'rejected') continue;
          assert.ok(r.reason instanceof api.AccessDeniedError, String(r.reason));
          if (!api.statusInMessages) continue;
          // BatchAppend: a per-request google.rpc.Status (the client's AccessDeniedError without a message), not
          // a failed call; classic Append: the call's PERMISSION_DENIED status.
          if (batchAppend) assert.doesNotMatch(r.reason.message, /PERMISSION_DENIED/);
          else assert.match(r.reason.message, permissionDenied);
        }
        await ops.appendToStream(stream, event(4));
        assert.equal((await collect(ops.readStream(stream))).length, 3);
      });

      test('a live subscription is dropped with access denied when stream metadata takes access away', async (t) => {
        const { server, connect, admin } = await open(t);
        const ops = connect(server.as('ops'));
        const stream = uniqueStream('sec-drop');
        await admin.appendToStream(stream, event());
        const seen = watchSubscription(ops.subscribeToStream(stream));
        await waitUntil(() => seen.events >= 1 || seen.error !== undefined, 'the first event');
        assert.equal(seen.error, undefined);
        await admin.setStreamMetadata(stream, { acl: { readRoles: ['$admins'] } });
        await waitUntil(() => seen.error !== undefined, 'the subscription to be dropped');
        assert.ok((seen.error as unknown) instanceof api.AccessDeniedError, String(seen.error));
      });

      test('a $all subscription granted through $settings is dropped when $settings takes it back', async (t) => {
        const { server, connect, admin } = await open(t);
        // Restores the defaults on a real server; runs before the emulator stops.
        server.addCleanup(() => admin.appendToStream('$settings', api.event('settings', DEFAULT_SETTINGS)));
        const ops = connect(server.as('ops'));
        await admin.appendToStream(
          '$settings',
          api.event('settings', {
            ...DEFAULT_SETTINGS,
            $systemStreamAcl: { ...DEFAULT_SETTINGS.$systemStreamAcl, $r: ['$admins', '$ops'] },
          }),
        );
        const seen = watchSubscription(ops.subscribeToAll());
        await admin.appendToStream(uniqueStream('sec-drop-all'), event());
        await waitUntil(() => seen.events >= 1 || seen.error !== undefined, 'events on $all');
        assert.equal(seen.error, undefined);
        await admin.appendToStream('$settings', api.event('settings', DEFAULT_SETTINGS));
        await waitUntil(() => seen.error !== undefined, 'the subscription to be dropped');
        assert.ok((seen.error as unknown) instanceof api.AccessDeniedError, String(seen.error));
      });

      test(
        'a user certificate authenticates as its CN when no Basic header is given',
        { skip: userCertificateSkipReason() },
        async (t) => {
          const { server, connect } = await open(t);
          const stream = uniqueStream('sec-cert');
          const opsByCert = connect(await server.withUserCertificate('ops'));
          await opsByCert.appendToStream(stream, event());
          await denied(
            'ops certificate reads $all',
            () => collect(opsByCert.readAll({ maxCount: 1 })),
            permissionDenied,
          );
          const adminByCert = connect(await server.withUserCertificate('admin'));
          assert.ok((await collect(adminByCert.readAll({ maxCount: 1 }))).length >= 1);
        },
      );

      test('Basic credentials win over a user certificate', { skip: userCertificateSkipReason() }, async (t) => {
        const { server, connect } = await open(t);
        const stream = uniqueStream('sec-precedence');
        const wrongPassword = connect(await server.withUserCertificate('admin', { user: 'admin', password: 'wrong' }));
        await denied(
          'wrong password with admin certificate',
          () => collect(wrongPassword.readStream(stream)),
          unauthenticated,
        );
        const opsWithAdminCert = connect(
          await server.withUserCertificate('admin', { user: 'ops', password: 'changeit' }),
        );
        await denied(
          'ops credentials with admin certificate',
          () => collect(opsWithAdminCert.readAll({ maxCount: 1 })),
          permissionDenied,
        );
      });

      test(
        'a certificate from another CA is ignored: Basic still works',
        { skip: secureEmulatorOnly('a foreign CA') },
        async (t) => {
          const { server, connect } = await open(t);
          const other = await openSecureServer(t);
          const foreign = await other.withUserCertificate('admin');
          const cert = foreign.slice(foreign.indexOf('&userCertFile='));
          const client = connect(`${server.connectionString}${cert}`);
          await client.appendToStream(uniqueStream('sec-foreign'), event());
          const anonymous = connect(`${server.as(undefined)}${cert}`);
          await denied('foreign certificate alone', () =>
            anonymous.appendToStream(uniqueStream('sec-foreign'), event()),
          );
        },
      );
    });
  }
}

function nextError(subscription: Readable): Promise<never> {
  return new Promise((_resolve, reject) => {
    subscription.on('error', reject);
    subscription.on('data', () => undefined);
  });
}

function watchSubscription(subscription: Readable): { events: number; error: unknown } {
  const seen = { events: 0, error: undefined as unknown };
  subscription.on('data', () => {
    seen.events += 1;
  });
  subscription.on('error', (err: unknown) => {
    seen.error = err;
  });
  return seen;
}

export type { SecureServer };
