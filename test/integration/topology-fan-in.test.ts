import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { uniqueName, type TestNode } from '../helpers/nodes.js';
import { readCheckpoint } from '../helpers/stream-compare.js';
import { nodesSection, settle, startDaemon, startTopologyNodes, topologyConfig } from '../helpers/topology-daemon.js';
import { lastReplicablePosition, readAllEvents } from '../helpers/topology-inspect.js';
import {
  createRandom,
  runWriter,
  seedStreams,
  setStreamMetadata,
  streamNames,
  workloadSeed,
} from '../helpers/topology-workload.js';

test(
  'fan-in dc1 + dc2 -> reporting with per-origin prefixes: same stream names never collide, each link its own checkpoint',
  { timeout: 90_000 },
  async (t) => {
    const seed = workloadSeed();
    t.diagnostic(`workload seed ${seed} (replay with TOPOLOGY_SEED=${seed})`);
    const plan = createRandom(seed);
    const [dc1, dc2, reporting] = (await startTopologyNodes(t, ['dc1', 'dc2', 'reporting'])) as [
      TestNode,
      TestNode,
      TestNode,
    ];
    const [c1, c2, cr] = [dc1.client(), dc2.client(), reporting.client()];
    const run = uniqueName('fanin');
    // Both origins write the SAME stream names.
    const streams = streamNames(plan, `${run}-s`, plan.int(4, 10));
    const rng1 = createRandom(plan.int(0, 0xffffffff));
    const rng2 = createRandom(plan.int(0, 0xffffffff));
    await seedStreams({ client: c1, node: 'dc1', rng: rng1, streams, appends: 0, maxBatch: 5 });
    await seedStreams({ client: c2, node: 'dc2', rng: rng2, streams, appends: 0, maxBatch: 5 });
    for (const s of streams) if (rng1.chance(0.3)) await setStreamMetadata(c1, rng1, s);
    for (const s of streams) if (rng2.chance(0.3)) await setStreamMetadata(c2, rng2, s);

    const config = topologyConfig({
      nodes: nodesSection([dc1, dc2, reporting]),
      topology: [
        {
          type: 'fan-in',
          origins: ['dc1', 'dc2'],
          destination: 'reporting',
          name: `${run}-{origin}-to-{destination}`,
          streamPrefix: '{origin}.',
          filter: { includeStreamPrefixes: [`${run}-`] },
          checkpointIntervalMs: 200,
        },
      ],
    });
    const links = config.links.map((l) => ({ name: l.name, origin: l.origin, prefix: l.streamPrefix }));
    assert.deepEqual(links, [
      { name: `${run}-dc1-to-reporting`, origin: 'dc1', prefix: 'dc1.' },
      { name: `${run}-dc2-to-reporting`, origin: 'dc2', prefix: 'dc2.' },
    ]);
    assert.deepEqual(config.warnings, [], 'prefixed origins cannot write the same destination stream');
    const daemon = await startDaemon(t, config);
    await Promise.all([
      runWriter({ client: c1, node: 'dc1', rng: rng1, streams, appends: rng1.int(25, 60), maxBatch: 6 }),
      runWriter({ client: c2, node: 'dc2', rng: rng2, streams, appends: rng2.int(25, 60), maxBatch: 6 }),
    ]);
    await settle(daemon, [
      { name: `${run}-dc1-to-reporting`, origin: c1 },
      { name: `${run}-dc2-to-reporting`, origin: c2 },
    ]);

    for (const [origin, prefix] of [
      [c1, 'dc1.'],
      [c2, 'dc2.'],
    ] as const) {
      const result = await compareNodes(origin, cr, { streamPrefix: prefix, includeStreamPrefixes: [`${run}-`] });
      assert.deepEqual(result.differences, [], `${prefix}* in reporting equals its origin`);
      assert.equal(result.streamsCompared, streams.length);
    }
    const onReporting = await readAllEvents(cr);
    assert.deepEqual(
      [...new Set(onReporting.filter((e) => e.streamId.startsWith(run)).map((e) => e.streamId))],
      [],
      'nothing is written under the unprefixed names',
    );
    assert.equal(daemon.status().ready, true);
    assert.ok(
      daemon.status().links.every((l) => l.conflicts === 0),
      'prefixed origins cannot conflict',
    );

    // Stopping writes each link's final checkpoint, in a stream of its own, holding its own origin's position.
    const report = await daemon.stop();
    assert.deepEqual(report.drainTimedOut, []);
    for (const [link, origin] of [
      [`${run}-dc1-to-reporting`, c1],
      [`${run}-dc2-to-reporting`, c2],
    ] as const) {
      const checkpoint = await readCheckpoint(cr, link);
      assert.ok(checkpoint, `${link} has a checkpoint stream in reporting`);
      assert.equal(checkpoint.link, link);
      const last = await lastReplicablePosition(origin);
      assert.ok(last);
      assert.ok(BigInt(checkpoint.commit) >= last.commit, `${link}'s checkpoint covers its origin's last event`);
      const originEnd = (await readAllEvents(origin)).at(-1)?.position;
      assert.ok(
        originEnd && BigInt(checkpoint.commit) <= originEnd.commit,
        `${link}'s checkpoint is a position of its origin`,
      );
    }
  },
);
