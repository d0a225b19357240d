import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { uniqueName, type TestNode } from '../helpers/nodes.js';
import { nodesSection, settle, startDaemon, startTopologyNodes, topologyConfig } from '../helpers/topology-daemon.js';
import { annotatable, originChainOf, readAllEvents } from '../helpers/topology-inspect.js';
import {
  createRandom,
  runWriter,
  seedStreams,
  setStreamMetadata,
  streamNames,
  workloadSeed,
} from '../helpers/topology-workload.js';

test('fan-out dc1 -> dc2 + dc3: both destinations converge to exact copies', { timeout: 90_000 }, async (t) => {
  const seed = workloadSeed();
  t.diagnostic(`workload seed ${seed} (replay with TOPOLOGY_SEED=${seed})`);
  const rng = createRandom(seed);
  const [dc1, dc2, dc3] = (await startTopologyNodes(t, ['dc1', 'dc2', 'dc3'])) as [TestNode, TestNode, TestNode];
  const [c1, c2, c3] = [dc1.client(), dc2.client(), dc3.client()];
  const run = uniqueName('fanout');
  const streams = streamNames(rng, `${run}-s`, rng.int(5, 14));
  const seeded = await seedStreams({ client: c1, node: 'dc1', rng, streams, appends: 0, maxBatch: 8 });
  for (const s of streams) if (rng.chance(0.3)) await setStreamMetadata(c1, rng, s);

  const config = topologyConfig({
    nodes: nodesSection([dc1, dc2, dc3]),
    topology: [
      {
        type: 'fan-out',
        origin: 'dc1',
        destinations: ['dc2', 'dc3'],
        name: `${run}-{origin}-to-{destination}`,
        filter: { includeStreamPrefixes: [`${run}-`] },
        checkpointIntervalMs: 200,
      },
    ],
  });
  const daemon = await startDaemon(t, config);
  const live = await runWriter({ client: c1, node: 'dc1', rng, streams, appends: rng.int(40, 90), maxBatch: 8 });
  // A hard delete mid-workload: both replicas must show the stream deleted too.
  const deleted = rng.pick(streams);
  await c1.tombstoneStream(deleted);
  t.diagnostic(`${streams.length} streams, ${seeded.length + live.length} events, ${deleted} tombstoned`);

  await settle(daemon, [
    { name: `${run}-dc1-to-dc2`, origin: c1 },
    { name: `${run}-dc1-to-dc3`, origin: c1 },
  ]);
  for (const [name, destination] of [
    ['dc2', c2],
    ['dc3', c3],
  ] as const) {
    const result = await compareNodes(c1, destination, { includeStreamPrefixes: [`${run}-`] });
    assert.deepEqual(result.differences, [], `${name} equals dc1`);
    assert.equal(result.streamsCompared, streams.length);
    const stored = await readAllEvents(destination);
    const byId = new Map([...seeded, ...live].map((w) => [w.id, w]));
    for (const e of stored) {
      const w = byId.get(e.id);
      if (!e.streamId.startsWith(run) || !w || !annotatable(w.metadata)) continue;
      assert.deepEqual(originChainOf(e.metadata), ['dc1'], `${name}: ${e.streamId}@${e.revision} came from dc1`);
    }
  }
  assert.equal(daemon.status().ready, true);
});
