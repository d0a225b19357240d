// Connection strings the client accepts: a host name, gossip discovery (`esdb+discover://`) and several hosts
// (which also go through Gossip.Read). Against a real server the test derives the variants from ESDB_URL.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { NO_STREAM, jsonEvent } from '@eventstore/db-client';
import {
  SERVER_VARIANTS,
  collect,
  openTarget,
  uniqueStream,
  variantSkipReason,
} from '../helpers/conformance-target.js';

/** host:port and the query string of a single-host `esdb://` connection string. */
function parts(connectionString: string): { host: string; port: number; query: string } {
  const match = /^esdb:\/\/(?:[^@/]*@)?([^:/?,]+):(\d+)\/?(\?.*)?$/.exec(connectionString);
  if (!match) throw new Error(`cannot split connection string ${connectionString}: expected esdb://host:port?...`);
  return { host: match[1]!, port: Number(match[2]), query: match[3] ?? '' };
}

/** A loopback port with nothing listening on it. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const variant = SERVER_VARIANTS[0]!;

describe('connection strings', { skip: variantSkipReason(variant) }, () => {
  async function roundTrip(t: TestContext, build: (p: ReturnType<typeof parts>) => string): Promise<void> {
    const target = await openTarget(t, variant);
    const connectionString = build(parts(target.connectionString));
    const client = target.client(connectionString);
    const stream = uniqueStream('conn');
    const id = randomUUID();
    const result = await client.appendToStream(
      stream,
      jsonEvent({ id, type: 'Connected', data: { connectionString } }),
      {
        expectedRevision: NO_STREAM,
      },
    );
    assert.equal(result.nextExpectedRevision, 0n);
    // A second client on the original string sees the write: both reached the same server.
    const read = await collect(target.client().readStream(stream));
    assert.equal(read[0]!.event!.id, id);
  }

  test('esdb://localhost:PORT', async (t) => {
    await roundTrip(
      t,
      ({ host, port, query }) => `esdb://${host === '127.0.0.1' ? 'localhost' : host}:${port}${query}`,
    );
  });

  test('esdb+discover://HOST:PORT goes through Gossip.Read', async (t) => {
    await roundTrip(t, ({ host, port, query }) => `esdb+discover://${host}:${port}${query}`);
  });

  test('several hosts, one of them down, go through Gossip.Read', async (t) => {
    const dead = await deadPort();
    await roundTrip(t, ({ host, port, query }) => `esdb://127.0.0.1:${dead},${host}:${port}${query}`);
  });
});
