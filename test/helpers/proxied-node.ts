import type { TestContext } from 'node:test';
import { EventStoreDBClient } from '@eventstore/db-client';
import { FaultProxy } from './fault-proxy.js';

/** The port of an `esdb://host:port?...` connection string. */
export function portOf(connectionString: string): number {
  const m = /^esdb(?:\+discover)?:\/\/(?:[^@/]*@)?[^:/?]+:(\d+)/.exec(connectionString);
  if (!m) throw new Error(`no port in connection string ${connectionString}`);
  return Number(m[1]);
}

/**
 * A fault proxy in front of a server and a client that goes through it, both closed when the test ends
 * (the client first, so its dispose does not wait on a blackholed connection).
 */
export async function proxied(
  t: TestContext,
  connectionString: string,
  query: Record<string, string | number> = {},
  seed = 1,
): Promise<{ proxy: FaultProxy; client: EventStoreDBClient; connectionString: string }> {
  const proxy = await FaultProxy.start({ targetPort: portOf(connectionString), seed });
  const through = proxy.connectionString(query);
  const client = EventStoreDBClient.connectionString(through);
  t.after(async () => {
    proxy.clear();
    await client.dispose().catch(() => {});
    await proxy.stop();
  });
  return { proxy, client, connectionString: through };
}
