import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { uniqueName, type TestNode } from '../helpers/nodes.js';
import { nodesSection, settle, startDaemon, startTopologyNodes, topologyConfig } from '../helpers/topology-daemon.js';
import {
  annotatable,
  jsonObjectOf,
  originChainOf,
  readAllEvents,
  type StoredEvent,
} from '../helpers/topology-inspect.js';
import {
  createRandom,
  runWriter,
  seedStreams,
  setStreamMetadata,
  streamNames,
  workloadSeed,
  type WrittenEvent,
} from '../helpers/topology-workload.js';

/** Checks the Linker-compatible annotations of the copies on `node` against what was written. */
function pathProblems(
  node: string,
  stored: readonly StoredEvent[],
  written: ReadonlyMap<string, WrittenEvent>,
  expectedPath: (w: WrittenEvent) => string[],
  prefix: string,
): string[] {
  const problems: string[] = [];
  for (const e of stored) {
    if (!e.streamId.startsWith(prefix)) continue;
    const w = written.get(e.id);
    if (!w) {
      problems.push(`${node}: ${e.streamId}@${e.revision} holds ${e.id}, which no writer wrote`);
      continue;
    }
    const where = `${node}: ${e.streamId}@${e.revision} (written on ${w.node})`;
    if (!annotatable(w.metadata)) {
      // Metadata that is not a JSON object is never annotated: byte for byte, no path.
      if (!Buffer.from(e.metadata).equals(Buffer.from(w.metadata))) problems.push(`${where}: metadata bytes changed`);
      continue;
    }
    const path = originChainOf(e.metadata);
    const expected = expectedPath(w);
    if (path.join(',') !== expected.join(',')) {
      problems.push(
        `${where}: $origin ${JSON.stringify(path.join(','))}, expected ${JSON.stringify(expected.join(','))}`,
      );
    }
    if (expected.length === 0) continue;
    const meta = jsonObjectOf(e.metadata) ?? {};
    // Set on the first hop and kept: the ORIGINAL stream and revision, not the intermediate copy's.
    if (meta.$eventStreamId !== w.stream) problems.push(`${where}: $eventStreamId ${String(meta.$eventStreamId)}`);
    if (typeof meta.$eventNumber !== 'number' || BigInt(meta.$eventNumber) !== e.revision) {
      problems.push(`${where}: $eventNumber ${String(meta.$eventNumber)}, origin revision ${e.revision}`);
    }
    if (typeof meta.$applies !== 'string' || Number.isNaN(Date.parse(meta.$applies))) {
      problems.push(`${where}: $applies ${String(meta.$applies)} is not a time`);
    }
  }
  return problems.slice(0, 12);
}

test(
  'chain dc1 -> dc2 -> dc3: writers on dc1 and dc2, dc3 converges to both and $origin records the path',
  { timeout: 90_000 },
  async (t) => {
    const seed = workloadSeed();
    t.diagnostic(`workload seed ${seed} (replay with TOPOLOGY_SEED=${seed})`);
    const plan = createRandom(seed);
    const [dc1, dc2, dc3] = (await startTopologyNodes(t, ['dc1', 'dc2', 'dc3'])) as [TestNode, TestNode, TestNode];
    const [c1, c2, c3] = [dc1.client(), dc2.client(), dc3.client()];
    const run = uniqueName('chain');
    const from1 = streamNames(plan, `${run}-from1-`, plan.int(3, 9));
    const from2 = streamNames(plan, `${run}-from2-`, plan.int(3, 9));
    const rng1 = createRandom(plan.int(0, 0xffffffff));
    const rng2 = createRandom(plan.int(0, 0xffffffff));

    // Some history before the daemon starts (catch-up), the rest written live on both nodes at once.
    const written: WrittenEvent[] = [];
    written.push(
      ...(await seedStreams({ client: c1, node: 'dc1', rng: rng1, streams: from1, appends: 0, maxBatch: 5 })),
    );
    written.push(
      ...(await seedStreams({ client: c2, node: 'dc2', rng: rng2, streams: from2, appends: 0, maxBatch: 5 })),
    );
    for (const s of from1) if (rng1.chance(0.3)) await setStreamMetadata(c1, rng1, s);
    for (const s of from2) if (rng2.chance(0.3)) await setStreamMetadata(c2, rng2, s);

    const config = topologyConfig({
      nodes: nodesSection([dc1, dc2, dc3]),
      topology: [
        {
          type: 'chain',
          nodes: ['dc1', 'dc2', 'dc3'],
          name: `${run}-{origin}-to-{destination}`,
          filter: { includeStreamPrefixes: [`${run}-`] },
          checkpointIntervalMs: 200,
        },
      ],
    });
    assert.deepEqual(
      config.links.map((l) => `${l.origin}->${l.destination}`),
      ['dc1->dc2', 'dc2->dc3'],
    );
    const daemon = await startDaemon(t, config);
    const live = await Promise.all([
      runWriter({ client: c1, node: 'dc1', rng: rng1, streams: from1, appends: rng1.int(25, 60), maxBatch: 6 }),
      runWriter({ client: c2, node: 'dc2', rng: rng2, streams: from2, appends: rng2.int(25, 60), maxBatch: 6 }),
    ]);
    for (const w of live) written.push(...w);
    t.diagnostic(`${from1.length} streams written on dc1, ${from2.length} on dc2, ${written.length} events`);

    await settle(daemon, [
      { name: `${run}-dc1-to-dc2`, origin: c1 },
      { name: `${run}-dc2-to-dc3`, origin: c2 },
    ]);

    // dc2 mirrors dc1's streams; dc3 mirrors everything dc2 holds: dc1's streams and dc2's own.
    const d12 = await compareNodes(c1, c2, { includeStreamPrefixes: [`${run}-from1-`] });
    assert.deepEqual(d12.differences, []);
    const d13 = await compareNodes(c1, c3, { includeStreamPrefixes: [`${run}-from1-`] });
    assert.deepEqual(d13.differences, []);
    const d23 = await compareNodes(c2, c3, { includeStreamPrefixes: [`${run}-`] });
    assert.deepEqual(d23.differences, []);
    assert.equal(d23.streamsCompared, from1.length + from2.length, 'dc3 holds the streams of both dc1 and dc2');
    assert.equal(d23.eventsCompared, written.length, 'dc3 holds every event written on dc1 and dc2');

    const byId = new Map(written.map((w) => [w.id, w]));
    const onDc3 = await readAllEvents(c3);
    assert.deepEqual(
      pathProblems('dc3', onDc3, byId, (w) => (w.node === 'dc1' ? ['dc1', 'dc2'] : ['dc2']), `${run}-`),
      [],
    );
    const onDc2 = await readAllEvents(c2);
    assert.deepEqual(
      pathProblems('dc2', onDc2, byId, (w) => (w.node === 'dc1' ? ['dc1'] : []), `${run}-`),
      [],
    );
    const status = daemon.status();
    assert.equal(status.ready, true);
    assert.ok(
      status.links.every((l) => l.conflicts === 0),
      'a chain without shared streams has no conflicts',
    );
  },
);
