// A secure cluster seen through @eventstore/db-client: TLS leader discovery through the printed connection
// string, follower reads and forwarded writes under one user/ACL view, NotLeader with requiresLeader, and the
// Operations RPCs' access policy (admin and ops may ResignNode/Shutdown; a plain user, anonymous and a wrong
// password may not). Runs on an emulated secure three-node cluster, or on the real secure cluster named by
// ESDB_SECURE_CLUSTER_URL (ESDB_SECURE_CLUSTER_USER names its plain user; shutting nodes down needs the emulator).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import { status, type ServiceError } from '@grpc/grpc-js';
import {
  AccessDeniedError,
  EventStoreDBClient,
  NotLeaderError,
  START,
  jsonEvent,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  openCluster,
  secureClusterEmulatorOnly,
  waitUntil,
  type ClusterTarget,
  type GossipEntry,
} from '../helpers/conformance-cluster.js';
import { collect, rejection, uniqueStream } from '../helpers/conformance-server.js';
import { SubscriptionRecorder } from '../helpers/conformance-subscription.js';

const event = (n = 0) => jsonEvent({ id: randomUUID(), type: 'SecureClusterTest', data: { n } });

function clientOn(target: ClusterTarget, cs: string): EventStoreDBClient {
  const client = EventStoreDBClient.connectionString(cs);
  target.addCleanup(() => client.dispose());
  return client;
}

async function openSecure(t: TestContext, electionMs?: number): Promise<ClusterTarget> {
  return openCluster(t, { secure: true, ...(electionMs === undefined ? {} : { electionMs }) });
}

async function roles(target: ClusterTarget): Promise<{ leader: GossipEntry; followers: GossipEntry[] }> {
  const leader = await target.stableLeader();
  const members = await target.gossip();
  return { leader, followers: members.filter((m) => m.isAlive && m.state === 'Follower') };
}

/** The raw error of an Operations call: its status code and `exception` trailer. */
async function refusal(what: string, call: Promise<void>): Promise<{ code: number; exception: unknown }> {
  const err = (await rejection(call, what)) as ServiceError;
  return { code: err.code, exception: err.metadata?.get('exception')[0] };
}

/** Waits for gossip to show a stable leader other than `previous`. */
async function nextLeader(target: ClusterTarget, previous: GossipEntry): Promise<GossipEntry> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const leader = await target.stableLeader();
    if (leader.instanceId !== previous.instanceId) return leader;
    if (Date.now() > deadline) throw new Error('the leader did not change');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('secure cluster (@eventstore/db-client)', () => {
  test('the printed string: TLS, anonymous gossip naming every node, the client finds the leader', async (t) => {
    const target = await openSecure(t);
    assert.match(target.connectionString, /^esdb:\/\/admin:[^@]+@[^?]+\?tls=true&tlsCAFile=\//);
    assert.equal(target.seeds.length, 3);
    await target.stableLeader();
    const members = await target.gossip();
    assert.equal(members.length, 3);
    assert.equal(members.filter((m) => m.state === 'Leader').length, 1);
    const client = clientOn(target, target.connectionString);
    const stream = uniqueStream('scl-disc');
    const written = await client.appendToStream(stream, event(), { requiresLeader: true });
    assert.equal(written.nextExpectedRevision, 0n);
    assert.equal((await collect(client.readStream(stream, { requiresLeader: true }))).length, 1);
    assert.ok((await collect(client.readAll({ fromPosition: START, maxCount: 5 }))).length >= 1, 'admin reads $all');
    // Without credentials the same discovery works, but stream access is denied, as on one secure node.
    const anonymous = clientOn(target, target.as(undefined));
    const err = await rejection(anonymous.appendToStream(stream, event(1)), 'an anonymous append');
    assert.ok(err instanceof AccessDeniedError, `AccessDeniedError, got ${String(err)}`);
  });

  test('a follower serves reads and subscriptions and forwards writes, with the same ACL view as the leader', async (t) => {
    const target = await openSecure(t);
    const { leader, followers } = await roles(target);
    const follower = followers[0]!;
    const onLeader = clientOn(target, target.single(leader));
    const onFollower = clientOn(target, target.single(follower));
    const stream = uniqueStream('scl-fol');
    const recorder = new SubscriptionRecorder<ResolvedEvent>();
    const sub = recorder.attach(onFollower.subscribeToStream(stream));
    target.addCleanup(() => sub.unsubscribe());
    await onLeader.appendToStream(stream, event(1));
    const forwarded = await onFollower.appendToStream(stream, event(2));
    assert.equal(forwarded.nextExpectedRevision, 1n);
    await waitUntil(() => recorder.items.filter((i) => i.kind === 'event').length === 2, 'two events on the follower');
    const fromFollower = await collect(onFollower.readStream(stream));
    const fromLeader = await collect(onLeader.readStream(stream));
    assert.deepEqual(
      fromFollower.map((e) => [e.event!.id, e.commitPosition]),
      fromLeader.map((e) => [e.event!.id, e.commitPosition]),
    );

    // One ACL view: a stream ACL set through the leader binds ops on the follower at once.
    const ops = clientOn(target, target.single(follower).replace(/\/\/[^@]*@/, '//ops:changeit@'));
    await ops.appendToStream(stream, event(3));
    const denied = await rejection(collect(ops.readAll({ maxCount: 1 })), 'ops reading $all on a follower');
    assert.ok(denied instanceof AccessDeniedError, `AccessDeniedError, got ${String(denied)}`);
    await onLeader.setStreamMetadata(stream, { acl: { writeRoles: ['$admins'] } });
    let lastError: unknown;
    for (let i = 0; i < 50; i++) {
      lastError = await ops.appendToStream(stream, event(4)).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (lastError !== undefined) break;
      // A real follower may apply the metadata a moment after the leader acknowledged it.
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(lastError instanceof AccessDeniedError, `AccessDeniedError, got ${String(lastError)}`);
  });

  test('a follower answers NotLeader with the leader endpoint over TLS when the call requires the leader', async (t) => {
    const target = await openSecure(t);
    const { leader, followers } = await roles(target);
    const stream = uniqueStream('scl-nl');
    const appendErr = await rejection(
      clientOn(target, target.single(followers[0]!)).appendToStream(stream, event(), { requiresLeader: true }),
      'a requiresLeader append on a follower',
    );
    assert.ok(appendErr instanceof NotLeaderError, `NotLeaderError, got ${String(appendErr)}`);
    assert.deepEqual(appendErr.leader, { address: leader.host, port: leader.port });
    const readErr = await rejection(
      collect(clientOn(target, target.single(followers[0]!)).readStream(stream, { requiresLeader: true })),
      'a requiresLeader read on a follower',
    );
    assert.ok(readErr instanceof NotLeaderError, `NotLeaderError, got ${String(readErr)}`);
    // The client follows the endpoint with the same TLS settings and credentials.
    const client = clientOn(target, target.single(followers[0]!));
    await rejection(client.appendToStream(stream, event(), { requiresLeader: true }), 'the first append');
    const retried = await client.appendToStream(uniqueStream('scl-nl2'), event(), { requiresLeader: true });
    assert.equal(retried.nextExpectedRevision, 0n);
  });

  test('ResignNode: a wrong password is UNAUTHENTICATED, anonymous and a plain user access-denied; ops and admin resign the leader', async (t) => {
    const target = await openSecure(t, 200);
    const leader = await target.stableLeader();
    const badPassword = await refusal(
      'ResignNode with a wrong password',
      target.operation(leader, 'ResignNode', { user: 'admin', password: 'not-the-password' }),
    );
    assert.deepEqual(badPassword, { code: status.UNAUTHENTICATED, exception: undefined });
    const anonymous = await refusal('anonymous ResignNode', target.operation(leader, 'ResignNode', 'anonymous'));
    assert.deepEqual(anonymous, { code: status.PERMISSION_DENIED, exception: 'access-denied' });
    if (target.plainUser !== undefined) {
      const plain = await refusal(
        'ResignNode as a plain user',
        target.operation(leader, 'ResignNode', target.plainUser),
      );
      assert.deepEqual(plain, { code: status.PERMISSION_DENIED, exception: 'access-denied' });
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal((await target.stableLeader()).instanceId, leader.instanceId, 'no refused call started an election');

    await target.operation(leader, 'ResignNode', { user: 'ops', password: 'changeit' });
    const second = await nextLeader(target, leader);
    await target.operation(second, 'ResignNode');
    const third = await nextLeader(target, second);
    const written = await clientOn(target, target.connectionString).appendToStream(uniqueStream('scl-res'), event(), {
      requiresLeader: true,
    });
    assert.equal(written.nextExpectedRevision, 0n);
    assert.ok(third.isAlive);
  });

  test(
    'Shutdown: refused for a plain user and a wrong password; ops and admin stop nodes; the majority keeps serving',
    { skip: secureClusterEmulatorOnly('shutting nodes down') },
    async (t) => {
      const target = await openSecure(t, 200);
      const cluster = target.cluster!;
      const { leader, followers } = await roles(target);
      const follower = followers[0]!;
      const plainUser = target.plainUser;
      assert.ok(plainUser !== undefined, 'the emulated cluster has a plain user');
      const plain = await refusal('Shutdown as a plain user', target.operation(follower, 'Shutdown', plainUser));
      assert.deepEqual(plain, { code: status.PERMISSION_DENIED, exception: 'access-denied' });
      const badPassword = await refusal(
        'Shutdown with a wrong password',
        target.operation(follower, 'Shutdown', { user: 'ops', password: 'wrong' }),
      );
      assert.equal(badPassword.code, status.UNAUTHENTICATED);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(
        cluster.nodes.every((n) => n.isAlive),
        'every node still up',
      );

      await target.operation(follower, 'Shutdown', { user: 'ops', password: 'changeit' });
      const down = (instanceId: string) => () =>
        cluster.nodes.some((n) => n.instanceId === instanceId && n.state === 'Shutdown');
      await waitUntil(down(follower.instanceId), 'ops to shut the follower down');
      await rejection(target.gossip(follower), 'gossip on the shut-down node');
      await cluster.restartNode(cluster.nodes.findIndex((n) => n.instanceId === follower.instanceId));
      await target.stableLeader();

      await target.operation(leader, 'Shutdown');
      await waitUntil(down(leader.instanceId), 'admin to shut the leader down');
      const next = await nextLeader(target, leader);
      assert.notEqual(next.instanceId, leader.instanceId);
      const client = clientOn(target, target.connectionString);
      const stream = uniqueStream('scl-shut');
      const written = await client.appendToStream(stream, event(), { requiresLeader: true });
      assert.equal(written.nextExpectedRevision, 0n);
      assert.equal((await collect(client.readStream(stream))).length, 1);
    },
  );
});
