// A conformance server plus `@eventstore/db-client` clients on it, all cleaned up when the test ends. Tests only
// see a connection string and the public client API, so the same file checks the emulator and a real
// KurrentDB/EventStoreDB alike (see conformance-server.ts for how the server is chosen).
import type { TestContext } from 'node:test';
import { EventStoreDBClient } from '@eventstore/db-client';
import type { Emulator } from '../../src/emulator/emulator-api.js';
import { openServer, type ServerOptions, type ServerVariant } from './conformance-server.js';

export {
  EXTERNAL_URL,
  SERVER_VARIANTS,
  collect,
  emulatorOnlySkipReason,
  rejection,
  uniqueStream,
  variantSkipReason,
  waitUntil,
  type ServerVariant,
} from './conformance-server.js';

export interface ConformanceTarget {
  readonly variant: ServerVariant;
  readonly connectionString: string;
  /** The in-process emulator; undefined when the suite runs against ESDB_URL. */
  readonly emulator: Emulator | undefined;
  /** A new client on this server (or on `connectionString`), disposed when the test ends. */
  client(connectionString?: string): EventStoreDBClient;
}

/** Opens the server for one test; when it ends, its clients are disposed and then the emulator stops. */
export async function openTarget(
  t: TestContext,
  variant: ServerVariant,
  options: ServerOptions = {},
): Promise<ConformanceTarget> {
  const server = await openServer(t, variant, options);
  return {
    variant: server.variant,
    connectionString: server.connectionString,
    emulator: server.emulator,
    client(cs = server.connectionString) {
      const client = EventStoreDBClient.connectionString(cs);
      server.addCleanup(() => client.dispose());
      return client;
    },
  };
}
