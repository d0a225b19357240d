import { randomUUID } from 'node:crypto';
import { EventStoreDBClient } from '@eventstore/db-client';
import { startEmulator } from '../../src/emulator/index.js';
import type { Emulator, EmulatorOptions } from '../../src/emulator/emulator-api.js';

/**
 * A database node for an integration test: an in-process emulator by default, or a real server when
 * `ESDB_URL_<n>` (1-based) is set in the environment. Tests that inject faults need `emulator` and skip
 * themselves when it is undefined.
 */
export interface TestNode {
  name: string;
  connectionString: string;
  emulator: Emulator | undefined;
  client(): EventStoreDBClient;
  stop(): Promise<void>;
}

export function realServerUrl(index: number): string | undefined {
  const url = process.env[`ESDB_URL_${index + 1}`];
  return url && url.length > 0 ? url : undefined;
}

export async function startNode(index: number, name: string, options: EmulatorOptions = {}): Promise<TestNode> {
  const url = realServerUrl(index);
  const emulator = url ? undefined : await startEmulator({ port: 0, ...options });
  const connectionString = url ?? emulator!.connectionString;
  const clients: EventStoreDBClient[] = [];
  return {
    name,
    connectionString,
    emulator,
    client() {
      const c = EventStoreDBClient.connectionString(connectionString);
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.dispose()));
      await emulator?.stop();
    },
  };
}

/** Starts `names.length` nodes (dc1, dc2, ... by default). */
export async function startNodes(names: string[], options: EmulatorOptions = {}): Promise<TestNode[]> {
  return Promise.all(names.map((n, i) => startNode(i, n, options)));
}

/** Unique names keep tests independent when they share a real server. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
