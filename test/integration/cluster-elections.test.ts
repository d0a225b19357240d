// A three-node origin cluster into a three-node destination cluster, writers on the origin throughout, repeated
// elections (ResignNode) on both sides, a leader Shutdown and restart on both sides, and a kill -9 of the daemon:
// the destination ends as an exact stream-by-stream copy, nothing lost and nothing doubled. Run twice: insecure,
// and secure (TLS with the clusters' development CA, admin's credentials from the connection string for the
// origin and from a connectionStringFile for the destination, elections by Operations.ResignNode as ops, the leader
// shutdowns by Operations.Shutdown as admin).
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { startCluster, type EmulatorCluster } from '../../src/emulator/index.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { ChildTracker, eventually, exitWithin, writeTempConfig, type CliProcess } from '../helpers/daemon-process.js';
import { operationOn } from '../helpers/conformance-cluster.js';
import { uniqueName } from '../helpers/nodes.js';
import { compareStreams, readCheckpoint } from '../helpers/stream-compare.js';

const ELECTIONS_PER_SIDE = 6;
const STREAMS = 20;

/** Appends small batches until aborted; failures during elections are expected and simply skipped. */
async function writeUntil(client: EventStoreDBClient, streams: string[], signal: AbortSignal): Promise<number> {
  let appended = 0;
  while (!signal.aborted) {
    const stream = streams[randomInt(streams.length)]!;
    const events = Array.from({ length: 1 + randomInt(10) }, (_, i) =>
      jsonEvent({ id: randomUUID(), type: 'Changed', data: { i, at: Date.now() } }),
    );
    try {
      await client.appendToStream(stream, events);
      appended += events.length;
    } catch {
      // NotReady during an election, UNAVAILABLE from a node going away: the client rediscovers next time.
      await delay(20);
    }
    await delay(5);
  }
  return appended;
}

/**
 * One election. Secure clusters get it the way an operator would: `Operations.ResignNode` on the leader over
 * TLS as `ops`, which the real server allows `$ops` (the insecure run uses the embedded API).
 */
async function resignAndWait(cluster: EmulatorCluster, log: string[], side: string, secure: boolean): Promise<void> {
  const before = await cluster.waitForLeader();
  let after;
  if (secure) {
    await operationOn(cluster.connectionString, before, 'ResignNode', { user: 'ops', password: 'changeit' });
    const deadline = Date.now() + 10_000;
    do {
      await delay(20);
      after = cluster.leader();
    } while ((after === undefined || after.index === before.index) && Date.now() < deadline);
    assert.ok(after !== undefined && after.index !== before.index, `${side}: ResignNode as ops elected another leader`);
  } else {
    after = await cluster.resignLeader();
  }
  log.push(`${side}: ${before.index} -> ${after.index}`);
}

/** A leader Shutdown (secure: `Operations.Shutdown` over TLS as admin, the connection string's user), then a restart. */
async function shutdownLeaderAndRestart(
  cluster: EmulatorCluster,
  log: string[],
  side: string,
  secure: boolean,
): Promise<void> {
  const leader = await cluster.waitForLeader();
  if (secure) {
    await operationOn(cluster.connectionString, leader, 'Shutdown');
    await eventually(async () => cluster.nodes[leader.index]!.state === 'Shutdown', 10_000, `${side}: Shutdown`);
  } else {
    await cluster.shutdownNode(leader.index);
  }
  const next = await cluster.waitForLeader();
  log.push(`${side}: leader ${leader.index} shut down, ${next.index} leads`);
  await delay(300);
  await cluster.restartNode(leader.index);
  log.push(`${side}: node ${leader.index} restarted as ${cluster.nodes[leader.index]!.state}`);
}

for (const secure of [false, true]) {
  const kind = secure ? 'secure cluster to secure cluster' : 'cluster to cluster';
  test(`${kind} through elections, leader shutdowns and a daemon kill -9: an exact copy`, async (t) => {
    const children = new ChildTracker();
    const origin = await startCluster({ nodes: 3, electionMs: 300, secure });
    const destination = await startCluster({ nodes: 3, electionMs: 300, secure });
    if (secure) {
      for (const cluster of [origin, destination]) {
        assert.match(cluster.connectionString, /^esdb:\/\/admin:changeit@[^,]+,[^,]+,[^,?]+\?tls=true&tlsCAFile=\//);
      }
    }
    const writerStop = new AbortController();
    const originClient = EventStoreDBClient.connectionString(origin.connectionString);
    const destinationClient = EventStoreDBClient.connectionString(destination.connectionString);
    t.after(async () => {
      writerStop.abort();
      await children.killAll();
      await Promise.all([originClient.dispose(), destinationClient.dispose()]);
      await Promise.all([origin.stop(), destination.stop()]);
    });
    const link = uniqueName('cluster');
    const streams = Array.from({ length: STREAMS }, (_, i) => `${link}-stream-${i}`);
    // Secure: the destination's credentials come from a file, as a deployment keeps them out of the config.
    const destinationFile = await writeTempConfig(`${destination.connectionString}\n`, 'dc2.connection');
    t.after(() => destinationFile.remove());
    const config = await writeTempConfig({
      nodes: [
        // Origin reads go to a follower, as the official replicator does; the destination writes find the leader.
        { name: 'dc1', connectionString: origin.connectionString, nodePreference: 'follower' },
        secure
          ? { name: 'dc2', connectionStringFile: destinationFile.path }
          : { name: 'dc2', connectionString: destination.connectionString },
      ],
      links: [
        {
          name: link,
          origin: 'dc1',
          destination: 'dc2',
          checkpointIntervalMs: 100,
          retry: { initialDelayMs: 20, maxDelayMs: 300 },
          filter: { includeStreamPrefixes: [`${link}-`] },
        },
      ],
      log: { level: 'info', format: 'json' },
      shutdownGraceMs: 5_000,
    });
    t.after(() => config.remove());

    const startDaemon = async (): Promise<CliProcess> => {
      const daemon = children.spawn(['run', '--config', config.path]);
      await daemon.waitForLog((l) => l.msg === 'running' || l.level === 'error', 30_000, 'the daemon running');
      return daemon;
    };

    const writer = writeUntil(originClient, streams, writerStop.signal);
    const events: string[] = [];
    let daemon = await startDaemon();
    for (let round = 0; round < ELECTIONS_PER_SIDE; round++) {
      await delay(200 + randomInt(300));
      await resignAndWait(origin, events, 'origin', secure);
      await delay(100 + randomInt(200));
      await resignAndWait(destination, events, 'destination', secure);
      if (round === 2) {
        daemon.kill('SIGKILL');
        const exit = await exitWithin(daemon, 10_000, 'kill -9');
        assert.equal(exit.signal, 'SIGKILL', `the daemon died on its own:\n${daemon.stdout().slice(-3000)}`);
        events.push('daemon killed (-9) and restarted');
        daemon = await startDaemon();
      }
    }
    // The origin subscription sits on a follower (nodePreference): taking each follower away in turn moves it.
    for (const follower of origin.nodes.filter((n) => n.state === 'Follower').map((n) => n.index)) {
      await origin.shutdownNode(follower);
      await delay(300);
      await origin.restartNode(follower);
      events.push(`origin: follower ${follower} shut down and restarted`);
    }
    await shutdownLeaderAndRestart(origin, events, 'origin', secure);
    await shutdownLeaderAndRestart(destination, events, 'destination', secure);
    await delay(500);
    writerStop.abort();
    const appended = await writer;
    assert.ok(appended > 0, 'the writer appended events throughout');
    // The daemon that lived through the elections and shutdowns catches up by itself.
    await eventually(
      async () => (await compareStreams(originClient, destinationClient, streams)).length === 0,
      30_000,
      'the running daemon to copy everything',
    );
    daemon.kill('SIGKILL');
    await exitWithin(daemon, 10_000, 'final kill');
    const warnings = daemon.logs().filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal');
    assert.equal(warnings.filter((l) => l.level === 'fatal').length, 0, 'no fatal log');
    const accessFailures = daemon.logs().filter((l) => /ESDBL_(AUTH_FAILED|ACCESS_DENIED)/.test(JSON.stringify(l)));
    assert.deepEqual(accessFailures, [], 'elections never look like access problems');
    if (process.env.CLUSTER_TEST_DEBUG) {
      const msgs = new Map<string, number>();
      for (const l of daemon.logs())
        msgs.set(`${String(l.level)} ${String(l.msg)}`, (msgs.get(`${String(l.level)} ${String(l.msg)}`) ?? 0) + 1);
      t.diagnostic(JSON.stringify([...msgs]));
    }
    t.diagnostic(
      `the last daemon logged ${warnings.length} warnings/errors, e.g. ${warnings
        .slice(0, 2)
        .map((w) => JSON.stringify(w))
        .join(' | ')}`,
    );
    t.diagnostic(`${appended} events appended; ${events.join('; ')}`);

    const final = children.spawn(['run', '--config', config.path, '--until-caught-up', '--timeout', '45s']);
    const exit = await exitWithin(final, 60_000, 'final --until-caught-up');
    assert.deepEqual(exit, { code: 0, signal: null }, `stdout:\n${final.stdout().slice(-4000)}`);

    const differences = await compareStreams(originClient, destinationClient, streams);
    assert.deepEqual(differences, [], events.join('; '));
    const verified = await compareNodes(originClient, destinationClient, { includeStreamPrefixes: [`${link}-`] });
    assert.deepEqual(verified.differences, []);
    assert.ok(verified.equal && verified.eventsCompared > 0, 'compareNodes compared events and found them equal');
    assert.ok(await readCheckpoint(destinationClient, link), 'checkpoint present');
    const elections = events.filter((e) => e.includes('->'));
    assert.equal(elections.filter((e) => e.startsWith('origin')).length, ELECTIONS_PER_SIDE);
    assert.equal(elections.filter((e) => e.startsWith('destination')).length, ELECTIONS_PER_SIDE);
  });
}
