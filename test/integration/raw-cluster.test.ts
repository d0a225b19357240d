// The daemon's own wire paths on a cluster: the RawAppender and the raw $all subscription ride on the client's
// channel, so NotReady (an election), NotLeader (a call requiring the leader on a follower) and a node going away
// come back as the client's retryable errors and make it reconnect, to the new leader.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { ANY, EventStoreDBClient, NotLeaderError, UnavailableError } from '@eventstore/db-client';
import { RawAppender } from '../../src/client/raw-appender.js';
import { subscribeRawToAll, type RawAllSubscription } from '../../src/client/raw-all-subscription.js';
import { installRawBytes, type RawEventInput } from '../../src/client/raw-bytes.js';
import type { ReadRespEvent } from '../../src/client/wire/read-codec.js';
import { startCluster, type ClusterOptions, type EmulatorCluster } from '../../src/emulator/index.js';
import { errorKind } from '../../src/link/recovery/error-kinds.js';
import { rejection, waitUntil } from '../helpers/conformance-server.js';

installRawBytes();

async function cluster(t: TestContext, options: ClusterOptions): Promise<EmulatorCluster> {
  const c = await startCluster({ nodes: 3, ...options });
  t.after(() => c.stop());
  return c;
}

function client(t: TestContext, cs: string): EventStoreDBClient {
  const c = EventStoreDBClient.connectionString(cs);
  t.after(() => c.dispose());
  return c;
}

const events = (n: number): RawEventInput[] =>
  Array.from({ length: n }, (_, i) => ({
    id: randomUUID(),
    type: 'Raw',
    contentType: 'application/json',
    data: Buffer.from(`{"i":${i}}`),
  }));

class Recorder {
  readonly events: ReadRespEvent[] = [];
  error: Error | undefined;
  confirmed = false;
  readonly handlers = {
    onEvent: (e: ReadRespEvent) => this.events.push(e),
    onCheckpoint: () => undefined,
    onCaughtUp: () => undefined,
    onConfirmation: () => {
      this.confirmed = true;
    },
    onError: (err: Error) => {
      this.error = err;
    },
    onEnd: () => undefined,
  };
}

for (const batchAppend of [true, false]) {
  test(`RawAppender (${batchAppend ? 'BatchAppend' : 'classic Append'}): NotReady during an election is retryable and the next append reaches the new leader`, async (t) => {
    const c = await cluster(t, { electionMs: 800, batchAppend });
    const appender = new RawAppender(client(t, c.connectionString));
    const stream = `raw-cl-${randomUUID()}`;
    await appender.append(stream, events(2), { expectedRevision: ANY });
    const old = c.leader()!;
    c.resignNode(old.index);
    const err = await rejection(
      appender.append(stream, events(1), { expectedRevision: ANY }),
      'an append mid-election',
    );
    assert.ok(err instanceof UnavailableError, `UnavailableError, got ${String(err)}`);
    assert.match(err.message, /Server Is Not Ready/);
    assert.equal(errorKind(err), 'transient');
    const next = await c.waitForLeader();
    assert.notEqual(next.index, old.index);
    // The old leader (now a follower) stops answering: only a client that rediscovered the leader can append.
    c.nodes[old.index]!.faults.unavailableFor(60_000);
    const result = await appender.append(stream, events(1), { expectedRevision: 1n });
    assert.equal(result.nextExpectedRevision, 2n);
  });
}

test('raw $all subscription: NotLeader on a follower when it requires the leader; the next one runs on the leader', async (t) => {
  const c = await cluster(t, {});
  const follower = c.nodes.find((n) => n.state === 'Follower')!;
  const onFollower = client(t, follower.connectionString);
  const refused = new Recorder();
  const subs: RawAllSubscription[] = [];
  t.after(() => Promise.all(subs.map((s) => s.unsubscribe())));
  subs.push(subscribeRawToAll(onFollower, { from: 'start', requiresLeader: true }, refused.handlers));
  await waitUntil(() => refused.error !== undefined, 'the refusal');
  assert.ok(refused.error instanceof NotLeaderError, `NotLeaderError, got ${String(refused.error)}`);
  assert.equal(errorKind(refused.error), 'transient');
  // The client follows the leader endpoint: the same subscription now succeeds, and sees new events.
  const accepted = new Recorder();
  subs.push(subscribeRawToAll(onFollower, { from: 'start', requiresLeader: true }, accepted.handlers));
  const stream = `raw-cl-${randomUUID()}`;
  await new RawAppender(client(t, c.connectionString)).append(stream, events(3), { expectedRevision: ANY });
  await waitUntil(() => accepted.events.filter((e) => e.streamId === stream).length === 3, 'three events');
  assert.equal(accepted.error, undefined);
});

test('raw $all subscription: its node shutting down fails it with a retryable error; resuming from the last event loses and doubles nothing', async (t) => {
  const c = await cluster(t, { electionMs: 100 });
  const reader = client(t, `${c.connectionString}&nodePreference=follower`);
  const writer = new RawAppender(client(t, c.connectionString));
  const stream = `raw-cl-${randomUUID()}`;
  await writer.append(stream, events(5), { expectedRevision: ANY });
  const first = new Recorder();
  const subs: RawAllSubscription[] = [];
  t.after(() => Promise.all(subs.map((s) => s.unsubscribe())));
  subs.push(subscribeRawToAll(reader, { from: 'start' }, first.handlers));
  await waitUntil(() => first.events.filter((e) => e.streamId === stream).length === 5, 'the first five');
  // The reader sits on one of the followers; take them down in turn (one at a time keeps a majority).
  let failed = false;
  for (const n of c.nodes.filter((x) => x.state === 'Follower')) {
    await c.shutdownNode(n.index);
    failed = await waitUntil(() => first.error !== undefined, 'the subscription to fail', 1_000).then(
      () => true,
      () => false,
    );
    await c.restartNode(n.index);
    if (failed) break;
  }
  assert.ok(failed, 'the subscription failed when its node went away');
  assert.ok(first.error instanceof UnavailableError, `UnavailableError, got ${String(first.error)}`);
  assert.equal(errorKind(first.error), 'transient');
  await writer.append(stream, events(5), { expectedRevision: 4n });
  const last = first.events.at(-1)!;
  const resumed = new Recorder();
  subs.push(subscribeRawToAll(reader, { from: { commit: last.commit, prepare: last.prepare } }, resumed.handlers));
  await waitUntil(
    () =>
      first.events.filter((e) => e.streamId === stream).length +
        resumed.events.filter((e) => e.streamId === stream).length >=
      10,
    'all ten events',
  );
  const all = [...first.events, ...resumed.events].filter((e) => e.streamId === stream).map((e) => e.revision);
  assert.deepEqual(all, [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n]);
});
