// The server a conformance test talks to, without any client: an in-process emulator on a free loopback port by
// default, or the real server named by ESDB_URL. Kept free of `@eventstore/db-client` so a test of another client
// (`@kurrent/kurrentdb-client`) can use it without loading both clients' generated classes into one process.
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Emulator, EmulatorOptions } from '../../src/emulator/emulator-api.js';
import { startEmulator } from '../../src/emulator/index.js';

/** How the server is set up for one pass of the suite. */
export interface ServerVariant {
  readonly name: string;
  /** Whether the server advertises BatchAppend; without it the client falls back to the classic Append RPC. */
  readonly batchAppend: boolean;
}

export const SERVER_VARIANTS: readonly ServerVariant[] = [
  { name: 'BatchAppend advertised', batchAppend: true },
  { name: 'classic Append (BatchAppend not advertised)', batchAppend: false },
];

/** The real server under test, when set. Read once: a suite never switches servers half-way. */
export const EXTERNAL_URL: string | undefined = process.env.ESDB_URL?.trim() || undefined;

/** Why a variant cannot run here, or undefined when it can. */
export function variantSkipReason(variant: ServerVariant): string | undefined {
  if (EXTERNAL_URL !== undefined && !variant.batchAppend) {
    return 'ESDB_URL is set: a real server always advertises BatchAppend, so the classic-Append pass needs the emulator';
  }
  return undefined;
}

/** Skip reason for tests that need the emulator's test hooks (fault injection, custom limits). */
export function emulatorOnlySkipReason(what: string): string | undefined {
  return EXTERNAL_URL !== undefined ? `ESDB_URL is set: ${what} needs the in-process emulator` : undefined;
}

export interface ConformanceServer {
  readonly variant: ServerVariant;
  readonly connectionString: string;
  /** The in-process emulator; undefined when the suite runs against ESDB_URL. */
  readonly emulator: Emulator | undefined;
  /** Runs `cleanup` when the test ends, before the emulator stops (later registrations run first). */
  addCleanup(cleanup: () => unknown): void;
}

export interface ServerOptions {
  /** Extra emulator options (ignored against a real server). */
  readonly emulator?: Omit<EmulatorOptions, 'batchAppend' | 'port' | 'host'>;
}

/**
 * Starts (or names) the server for one test. When the test ends (`t.after`) the registered cleanups run, then the
 * emulator, if any, stops.
 */
export async function openServer(
  t: TestContext,
  variant: ServerVariant,
  options: ServerOptions = {},
): Promise<ConformanceServer> {
  const cleanups: (() => unknown)[] = [];
  let emulator: Emulator | undefined;
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await emulator?.stop();
  });
  if (EXTERNAL_URL === undefined) {
    emulator = await startEmulator({ ...options.emulator, port: 0, batchAppend: variant.batchAppend });
  }
  return {
    variant,
    connectionString: EXTERNAL_URL ?? emulator!.connectionString,
    emulator,
    addCleanup: (cleanup) => cleanups.push(cleanup),
  };
}

/** A stream name no other test (or earlier run against a real server) uses. */
export function uniqueStream(prefix = 'conf'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Drains an async iterable (a read) into an array. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/**
 * Polls until `check` holds. The timeout only bounds a broken server; no test asserts on how fast anything is.
 */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Awaits a promise that must reject and returns the rejection for further checks. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error(`expected ${what} to fail, but it succeeded`);
}
