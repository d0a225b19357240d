// The successor client, `@kurrent/kurrentdb-client`, on a cluster: it discovers the leader by gossip (its grpc-js
// appends and its Rust-bridge reads alike), follows a new leader after an election, and reads from a follower
// with nodePreference=follower; the same over TLS on a secure cluster through the connection string as printed.
// Only this client is loaded here (see kurrent-client.test.ts for why).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { AccessDeniedError, KurrentDBClient, NotLeaderError, START, jsonEvent } from '@kurrent/kurrentdb-client';
import { openCluster, type CallAuth, type ClusterTarget } from '../helpers/conformance-cluster.js';
import { collect, rejection, uniqueStream } from '../helpers/conformance-server.js';

function kurrent(target: ClusterTarget, cs: string): KurrentDBClient {
  const client = KurrentDBClient.connectionString(cs.replace(/^esdb/, 'kurrentdb'));
  target.addCleanup(() => client.dispose());
  return client;
}

const event = (n: number) => jsonEvent({ id: randomUUID(), type: 'KurrentCluster', data: { n } });

/** Retries a call through the election that a resignation starts (the client reconnects between attempts). */
async function eventually<T>(what: string, call: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      return await call();
    } catch (err) {
      last = err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${what} kept failing: ${String(last)}`);
}

/**
 * Appends revision 0 through the leader, resigns it (as `auth` on a secure cluster), appends revision 1 through
 * the new leader, and reads both back from a follower, where a read that requires the leader is refused.
 */
async function throughElectionToFollower(
  target: ClusterTarget,
  client: KurrentDBClient,
  follower: KurrentDBClient,
  stream: string,
  auth?: CallAuth,
): Promise<void> {
  const leader = await target.stableLeader();
  const first = await client.appendToStream(stream, event(0), { requiresLeader: true });
  assert.equal(first.nextExpectedRevision, 0n);
  const read = await collect(client.readStream(stream, { requiresLeader: true }));
  assert.equal(read.length, 1);

  await target.operation(leader, 'ResignNode', auth);
  const after = await eventually('an append after the resignation', () =>
    client.appendToStream(stream, event(1), { requiresLeader: true }),
  );
  assert.equal(after.nextExpectedRevision, 1n);
  assert.notEqual((await target.stableLeader()).instanceId, leader.instanceId);

  const all = await collect(follower.readAll({ fromPosition: START }));
  assert.deepEqual(
    all.filter((e) => e.event?.streamId === stream).map((e) => e.event!.revision),
    [0n, 1n],
  );
  // It did land on a follower: a read that requires the leader is refused there.
  const err = await rejection(
    collect(follower.readStream(stream, { requiresLeader: true })),
    'a requiresLeader read through nodePreference=follower',
  );
  assert.ok(err instanceof NotLeaderError, `NotLeaderError, got ${String(err)}`);
}

describe('@kurrent/kurrentdb-client on a cluster', () => {
  test('discovers the leader, follows it through an election, reads from a follower', async (t) => {
    const target = await openCluster(t);
    const client = kurrent(target, target.connectionString);
    const follower = kurrent(target, `${target.connectionString}&nodePreference=follower`);
    await throughElectionToFollower(target, client, follower, uniqueStream('kc'));
  });

  test('secure cluster: the printed string as is (TLS, admin), an election, follower reads, ACLs on a follower', async (t) => {
    const target = await openCluster(t, { secure: true });
    const client = KurrentDBClient.connectionString(target.connectionString);
    target.addCleanup(() => client.dispose());
    const followerClient = KurrentDBClient.connectionString(`${target.connectionString}&nodePreference=follower`);
    target.addCleanup(() => followerClient.dispose());
    const stream = uniqueStream('kc-sec');
    await throughElectionToFollower(target, client, followerClient, stream, { user: 'ops', password: 'changeit' });
    // ops on a follower: user streams yes (the write is forwarded), $all no.
    const ops = KurrentDBClient.connectionString(`${target.as('ops')}&nodePreference=follower`);
    target.addCleanup(() => ops.dispose());
    await ops.appendToStream(stream, event(2));
    const denied = await rejection(collect(ops.readAll({ maxCount: 1 })), 'ops reading $all');
    assert.ok(denied instanceof AccessDeniedError, `AccessDeniedError, got ${String(denied)}`);
  });
});
