// Cluster behaviour seen through @eventstore/db-client: gossip, leader discovery, follower reads, forwarded
// writes, NotLeader with requiresLeader, NotReady during an election, ResignNode/Shutdown, epoch events and
// identical positions. Runs on an emulated three-node cluster, or on the real cluster named by ESDB_CLUSTER_URL
// (the cases that shut nodes down or time an election need the emulator and are skipped there).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test, type TestContext } from 'node:test';
import {
  EventStoreDBClient,
  NotLeaderError,
  START,
  UnavailableError,
  jsonEvent,
  type ResolvedEvent,
} from '@eventstore/db-client';
import {
  clusterEmulatorOnly,
  openCluster,
  type ClusterTarget,
  type GossipEntry,
} from '../helpers/conformance-cluster.js';
import { collect, rejection, uniqueStream, waitUntil } from '../helpers/conformance-server.js';
import { SubscriptionRecorder } from '../helpers/conformance-subscription.js';

function clientOn(t: TestContext, target: ClusterTarget, cs: string): EventStoreDBClient {
  const client = EventStoreDBClient.connectionString(cs);
  target.addCleanup(() => client.dispose());
  void t;
  return client;
}

const event = (n = 0) => jsonEvent({ id: randomUUID(), type: 'ClusterTest', data: { n } });

async function followers(target: ClusterTarget): Promise<{ leader: GossipEntry; followers: GossipEntry[] }> {
  const leader = await target.stableLeader();
  const members = await target.gossip();
  return { leader, followers: members.filter((m) => m.isAlive && m.state === 'Follower') };
}

async function epochCount(client: EventStoreDBClient): Promise<number> {
  const events = await collect(client.readAll({ fromPosition: START }));
  return events.filter((e) => e.event?.type === '$epoch-information').length;
}

for (const batchAppend of [true, false]) {
  const name = batchAppend ? 'BatchAppend' : 'classic Append';
  describe(`cluster (${name})`, { skip: !batchAppend && clusterEmulatorOnly('the classic-Append pass') }, () => {
    test('gossip lists every member with its state, liveness and endpoint; one leader', async (t) => {
      const target = await openCluster(t, { batchAppend });
      const leader = await target.stableLeader();
      const members = await target.gossip();
      assert.equal(members.length, target.seeds.length);
      assert.equal(members.filter((m) => m.state === 'Leader').length, 1);
      assert.equal(members.filter((m) => m.state === 'Follower').length, members.length - 1);
      assert.ok(members.every((m) => m.isAlive));
      assert.equal(new Set(members.map((m) => m.instanceId)).size, members.length, 'distinct instance ids');
      assert.ok(members.every((m) => /^[0-9a-f-]{36}$/.test(m.instanceId)));
      // Every node reports the same view.
      for (const m of members) {
        const seen = await target.gossip(m);
        assert.equal(seen.find((x) => x.state === 'Leader')?.port, leader.port);
      }
      if (target.cluster !== undefined) {
        assert.deepEqual(members.map((m) => m.port).sort(), target.cluster.nodes.map((n) => n.port).sort());
      }
    });

    test('the client discovers the leader from the seeds: requiresLeader writes and reads succeed', async (t) => {
      const target = await openCluster(t, { batchAppend });
      await target.stableLeader();
      const client = clientOn(t, target, target.connectionString);
      const stream = uniqueStream('cl-disc');
      const first = await client.appendToStream(stream, event(), { requiresLeader: true });
      assert.equal(first.nextExpectedRevision, 0n);
      const read = await collect(client.readStream(stream, { requiresLeader: true }));
      assert.equal(read.length, 1);
    });

    test('a follower serves reads and subscriptions and forwards writes; positions match the leader', async (t) => {
      const target = await openCluster(t, { batchAppend });
      const { leader, followers: fs } = await followers(target);
      const onLeader = clientOn(t, target, target.single(leader));
      const onFollower = clientOn(t, target, target.single(fs[0]!));
      const stream = uniqueStream('cl-fol');
      const recorder = new SubscriptionRecorder<ResolvedEvent>();
      const sub = recorder.attach(onFollower.subscribeToStream(stream));
      target.addCleanup(() => sub.unsubscribe());
      const written = await onLeader.appendToStream(stream, event(1));
      // Forwarded: the follower's client needs no leader.
      const forwarded = await onFollower.appendToStream(stream, event(2));
      assert.equal(forwarded.nextExpectedRevision, 1n);
      await waitUntil(
        () => recorder.items.filter((i) => i.kind === 'event').length === 2,
        'two events on the follower',
      );
      const fromFollower = await collect(onFollower.readStream(stream));
      const fromLeader = await collect(onLeader.readStream(stream));
      assert.deepEqual(
        fromFollower.map((e) => [e.event!.id, e.commitPosition]),
        fromLeader.map((e) => [e.event!.id, e.commitPosition]),
      );
      assert.equal(fromLeader[0]!.commitPosition, written.position!.commit);
      assert.equal(fromLeader[1]!.commitPosition, forwarded.position!.commit);
    });

    test('positions are the same on every node, through $all', async (t) => {
      const target = await openCluster(t, { batchAppend });
      const leader = await target.stableLeader();
      const members = (await target.gossip()).filter((m) => m.isAlive);
      const stream = uniqueStream('cl-pos');
      const writer = clientOn(t, target, target.single(leader));
      for (let i = 0; i < 5; i++) await writer.appendToStream(stream, event(i));
      const views: string[][] = [];
      for (const m of members) {
        const client = clientOn(t, target, target.single(m));
        let all: ResolvedEvent[] = [];
        // A real follower may lag behind an acknowledged write for a moment.
        for (let attempt = 0; attempt < 50; attempt++) {
          all = (await collect(client.readAll({ fromPosition: START }))).filter((e) => e.event?.streamId === stream);
          if (all.length === 5) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        views.push(all.map((e) => `${e.event!.id}@${e.event!.position!.commit}/${e.event!.position!.prepare}`));
      }
      assert.equal(views[0]!.length, 5);
      for (const v of views) assert.deepEqual(v, views[0]);
    });

    test('a follower answers NotLeader with the leader endpoint when the call requires the leader', async (t) => {
      const target = await openCluster(t, { batchAppend });
      const { leader, followers: fs } = await followers(target);
      const stream = uniqueStream('cl-nl');
      // A fresh client per case: BatchAppend's one long-lived call carries the first append's headers.
      const appendErr = await rejection(
        clientOn(t, target, target.single(fs[0]!)).appendToStream(stream, event(), { requiresLeader: true }),
        'a requiresLeader append on a follower',
      );
      assert.ok(appendErr instanceof NotLeaderError, `NotLeaderError, got ${String(appendErr)}`);
      assert.deepEqual(appendErr.leader, { address: leader.host, port: leader.port });
      const readErr = await rejection(
        collect(clientOn(t, target, target.single(fs[0]!)).readStream(stream, { requiresLeader: true })),
        'a requiresLeader read on a follower',
      );
      assert.ok(readErr instanceof NotLeaderError, `NotLeaderError, got ${String(readErr)}`);
      assert.deepEqual(readErr.leader, { address: leader.host, port: leader.port });
      const deleteErr = await rejection(
        clientOn(t, target, target.single(fs[0]!)).deleteStream(stream, { requiresLeader: true }),
        'a requiresLeader delete on a follower',
      );
      assert.ok(deleteErr instanceof NotLeaderError, `NotLeaderError, got ${String(deleteErr)}`);
      // The client follows the leader endpoint on its next call, even on a single-host string.
      const client = clientOn(t, target, target.single(fs[0]!));
      await rejection(client.appendToStream(stream, event(), { requiresLeader: true }), 'first append');
      const retried = await client.appendToStream(uniqueStream('cl-nl2'), event(), { requiresLeader: true });
      assert.equal(retried.nextExpectedRevision, 0n);
      // Nothing was written by the refused calls.
      const leaderView = await collect(clientOn(t, target, target.single(leader)).readStream(stream)).catch(() => []);
      assert.equal(leaderView.length, 0);
    });

    test('ResignNode on the leader elects another node and writes an epoch event; on a follower it is ignored', async (t) => {
      const target = await openCluster(t, { batchAppend });
      const { leader, followers: fs } = await followers(target);
      const observer = clientOn(t, target, target.single(fs[0]!));
      const epochsBefore = await epochCount(observer);
      assert.ok(epochsBefore >= 1, 'the first leader wrote an epoch at start');
      await target.operation(fs[0]!, 'ResignNode');
      assert.equal((await target.stableLeader()).instanceId, leader.instanceId, 'a follower ignores ResignNode');
      await target.operation(leader, 'ResignNode');
      let next = leader;
      const deadline = Date.now() + 20_000;
      while (next.instanceId === leader.instanceId && Date.now() < deadline) {
        next = await target.stableLeader();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.notEqual(next.instanceId, leader.instanceId, 'another node leads');
      let epochsAfter = epochsBefore;
      for (let i = 0; i < 100 && epochsAfter === epochsBefore; i++) {
        epochsAfter = await epochCount(observer);
        if (epochsAfter === epochsBefore) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(epochsAfter > epochsBefore, 'the new leader wrote an epoch event');
      const all = await collect(observer.readAll({ fromPosition: START }));
      const epoch = all.filter((e) => e.event?.type === '$epoch-information').at(-1)!;
      assert.equal(epoch.event!.streamId, '$epoch-information');
      // The multi-host client finds the new leader.
      const client = clientOn(t, target, target.connectionString);
      const r = await client.appendToStream(uniqueStream('cl-res'), event(), { requiresLeader: true });
      assert.equal(r.nextExpectedRevision, 0n);
    });

    test(
      'during an election writes and leader reads are NotReady; follower reads are served',
      { skip: clusterEmulatorOnly('a timed election') },
      async (t) => {
        const target = await openCluster(t, { batchAppend, electionMs: 1500 });
        const { leader, followers: fs } = await followers(target);
        const stream = uniqueStream('cl-ready');
        await clientOn(t, target, target.connectionString).appendToStream(stream, event());
        await target.operation(leader, 'ResignNode');
        await waitUntil(() => target.cluster!.leader() === undefined, 'the election to start');
        const members = await target.gossip();
        assert.ok(!members.some((m) => m.state === 'Leader'), `no leader in gossip: ${JSON.stringify(members)}`);
        const writeErr = await rejection(
          clientOn(t, target, target.single(fs[0]!)).appendToStream(stream, event()),
          'a write during the election',
        );
        assert.ok(writeErr instanceof UnavailableError, `UnavailableError, got ${String(writeErr)}`);
        assert.match((writeErr as Error).message, /Server Is Not Ready/);
        const leaderReadErr = await rejection(
          collect(clientOn(t, target, target.single(fs[0]!)).readStream(stream, { requiresLeader: true })),
          'a requiresLeader read during the election',
        );
        assert.ok(leaderReadErr instanceof UnavailableError, `UnavailableError, got ${String(leaderReadErr)}`);
        const read = await collect(clientOn(t, target, target.single(fs[0]!)).readStream(stream));
        assert.equal(read.length, 1);
        const next = await target.cluster!.waitForLeader();
        assert.notEqual(next.instanceId, leader.instanceId);
        const after = await clientOn(t, target, target.single(fs[0]!)).appendToStream(stream, event());
        assert.equal(after.nextExpectedRevision, 1n);
      },
    );

    test(
      'Shutdown: the node stops answering, its subscriptions fail, the majority serves, no majority refuses writes, restart rejoins',
      { skip: clusterEmulatorOnly('shutting nodes down and restarting them') },
      async (t) => {
        const target = await openCluster(t, { batchAppend, electionMs: 200 });
        const cluster = target.cluster!;
        const { leader } = await followers(target);
        const stream = uniqueStream('cl-shut');
        const onLeader = clientOn(t, target, target.single(leader));
        const recorder = new SubscriptionRecorder<ResolvedEvent>();
        recorder.attach(onLeader.subscribeToStream(stream));
        await waitUntil(() => recorder.confirmed, 'the subscription on the leader');
        await target.operation(leader, 'Shutdown');
        await waitUntil(() => recorder.error !== undefined || recorder.ended, 'the subscription to fail');
        assert.ok(recorder.error instanceof UnavailableError, `UnavailableError, got ${String(recorder.error)}`);
        await waitUntil(
          () => cluster.nodes.some((n) => n.instanceId === leader.instanceId && n.state === 'Shutdown'),
          'the node to finish shutting down',
        );
        await rejection(target.gossip(leader), 'gossip on the shut-down node');
        const next = await target.stableLeader();
        assert.notEqual(next.instanceId, leader.instanceId);
        const members = await target.gossip(next);
        const dead = members.find((m) => m.instanceId === leader.instanceId)!;
        assert.deepEqual([dead.state, dead.isAlive], ['Shutdown', false]);
        const client = clientOn(t, target, target.connectionString);
        await client.appendToStream(stream, event(1));

        // Down to one node of three: no majority, so no leader and no writes; reads still served.
        const other = members.find((m) => m.isAlive && m.instanceId !== next.instanceId)!;
        await target.operation(next, 'Shutdown');
        await waitUntil(() => cluster.nodes.filter((n) => n.state === 'Shutdown').length === 2, 'two nodes down');
        await new Promise((resolve) => setTimeout(resolve, 400));
        assert.equal(cluster.leader(), undefined);
        const survivor = clientOn(t, target, target.single(other));
        const err = await rejection(survivor.appendToStream(stream, event(2)), 'a write without a majority');
        assert.ok(err instanceof UnavailableError, `UnavailableError, got ${String(err)}`);
        assert.equal((await collect(clientOn(t, target, target.single(other)).readStream(stream))).length, 1);

        // A restart restores the majority; the restarted node is back on its port.
        const restartedIndex = cluster.nodes.findIndex((n) => n.instanceId === leader.instanceId);
        await cluster.restartNode(restartedIndex);
        const leaderAfter = await cluster.waitForLeader();
        assert.notEqual(leaderAfter.index, restartedIndex === leaderAfter.index ? -1 : restartedIndex);
        await target.stableLeader();
        const again = await clientOn(t, target, target.connectionString).appendToStream(stream, event(3));
        assert.equal(again.nextExpectedRevision, 1n);
        const restarted = (await target.gossip()).find((m) => m.instanceId === leader.instanceId)!;
        assert.ok(restarted.isAlive);
        assert.equal(restarted.port, leader.port);
      },
    );
  });
}
