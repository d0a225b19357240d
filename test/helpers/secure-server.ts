// A secure server for one test, without any client: an in-process `startEmulator({ secure })` by default, or the
// real secure server named by ESDB_SECURE_URL (an admin connection string with `tls=true&tlsCAFile=...`). Tests
// get connection strings per user, so the same file checks the emulator and a real KurrentDB/EventStoreDB.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Emulator } from '../../src/emulator/emulator-api.js';
import { startEmulator } from '../../src/emulator/index.js';

/** The real secure server under test, when set. */
export const SECURE_URL: string | undefined = process.env.ESDB_SECURE_URL?.trim() || undefined;
/** Folder holding gencert-style `user-NAME.crt`/`user-NAME.key` files for the real server (cert tests). */
const SECURE_USER_CERT_DIR: string | undefined = process.env.ESDB_SECURE_USER_CERT_DIR?.trim() || undefined;

export interface SecureServer {
  /** The admin connection string as the server prints it (`esdb://admin:changeit@...&tlsCAFile=...`). */
  readonly connectionString: string;
  readonly emulator: Emulator | undefined;
  /** The same server as `user` (no credentials when `user` is undefined: anonymous). */
  as(user: string | undefined, password?: string): string;
  /** A connection string authenticating by a user certificate for `user`, with `credentials` optionally. */
  withUserCertificate(user: string, credentials?: { user: string; password: string }): Promise<string>;
  /** Runs `cleanup` when the test ends, before the emulator stops (later registrations run first). */
  addCleanup(cleanup: () => unknown): void;
}

export function userCertificateSkipReason(): string | undefined {
  return SECURE_URL !== undefined && SECURE_USER_CERT_DIR === undefined
    ? 'ESDB_SECURE_URL is set without ESDB_SECURE_USER_CERT_DIR (user certificates for admin and ops)'
    : undefined;
}

export function secureEmulatorOnly(what: string): string | undefined {
  return SECURE_URL !== undefined ? `ESDB_SECURE_URL is set: ${what} needs the in-process emulator` : undefined;
}

export async function openSecureServer(t: TestContext, options: { batchAppend?: boolean } = {}): Promise<SecureServer> {
  const cleanups: (() => unknown)[] = [];
  let emulator: Emulator | undefined;
  const certDir = mkdtempSync(join(tmpdir(), 'esdb-linker-usercerts-'));
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await emulator?.stop();
    rmSync(certDir, { recursive: true, force: true });
  });
  if (SECURE_URL === undefined) {
    emulator = await startEmulator({ port: 0, secure: true, batchAppend: options.batchAppend ?? true });
  }
  const connectionString = SECURE_URL ?? emulator!.connectionString;
  const as = (user: string | undefined, password = 'changeit'): string => {
    const auth = user === undefined ? '' : `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`;
    return connectionString.replace(/^([a-z+]+:\/\/)([^@/]*@)?/, `$1${auth}`);
  };
  return {
    connectionString,
    emulator,
    as,
    async withUserCertificate(user, credentials) {
      let files: { certFile: string; keyFile: string };
      if (emulator !== undefined) {
        files = await emulator.security!.issueUserCertificate(user, certDir);
      } else {
        files = {
          certFile: join(SECURE_USER_CERT_DIR!, `user-${user}.crt`),
          keyFile: join(SECURE_USER_CERT_DIR!, `user-${user}.key`),
        };
        if (!existsSync(files.certFile)) throw new Error(`no user certificate ${files.certFile}`);
      }
      const base = as(credentials?.user, credentials?.password);
      return `${base}&userCertFile=${files.certFile}&userKeyFile=${files.keyFile}`;
    },
    addCleanup: (cleanup) => cleanups.push(cleanup),
  };
}
