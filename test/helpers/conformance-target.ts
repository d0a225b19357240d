// The server a conformance test talks to: an in-process emulator on a free loopback port by default, or the real
// server named by ESDB_URL. Tests only see a connection string and `@eventstore/db-client`, so the same file
// checks the emulator and a real KurrentDB/EventStoreDB alike.
import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { EventStoreDBClient } from '@eventstore/db-client';
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

export interface ConformanceTarget {
  readonly variant: ServerVariant;
  readonly connectionString: string;
  /** The in-process emulator; undefined when the suite runs against ESDB_URL. */
  readonly emulator: Emulator | undefined;
  /** A new client on this server, disposed when the test ends. */
  client(connectionString?: string): EventStoreDBClient;
}

export interface TargetOptions {
  /** Extra emulator options (ignored against a real server). */
  readonly emulator?: Omit<EmulatorOptions, 'batchAppend' | 'port' | 'host'>;
}

/**
 * Opens the server for one test and registers its cleanup with `t.after`: every client made through the target is
 * disposed and the emulator (if any) stopped.
 */
export async function openTarget(
  t: TestContext,
  variant: ServerVariant,
  options: TargetOptions = {},
): Promise<ConformanceTarget> {
  const clients: EventStoreDBClient[] = [];
  let emulator: Emulator | undefined;
  t.after(async () => {
    await Promise.allSettled(clients.map((c) => c.dispose()));
    await emulator?.stop();
  });
  if (EXTERNAL_URL === undefined) {
    emulator = await startEmulator({ ...options.emulator, port: 0, batchAppend: variant.batchAppend });
  }
  const connectionString = EXTERNAL_URL ?? emulator!.connectionString;
  return {
    variant,
    connectionString,
    emulator,
    client(cs = connectionString) {
      const client = EventStoreDBClient.connectionString(cs);
      clients.push(client);
      return client;
    },
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
