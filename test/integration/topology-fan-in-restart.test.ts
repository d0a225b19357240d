import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { eventually } from '../helpers/daemon-process.js';
import { uniqueName, type TestNode } from '../helpers/nodes.js';
import { nodesSection, settle, startDaemon, startTopologyNodes, topologyConfig } from '../helpers/topology-daemon.js';
import {
  createRandom,
  runWriter,
  streamNames,
  workloadSeed,
  WriterGate,
  type WrittenEvent,
} from '../helpers/topology-workload.js';

test(
  'fan-in: stopping and restarting the daemon mid-stream loses nothing and copies nothing twice',
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
    const run = uniqueName('restart');
    const streams = streamNames(plan, `${run}-s`, plan.int(4, 10));
    const rng1 = createRandom(plan.int(0, 0xffffffff));
    const rng2 = createRandom(plan.int(0, 0xffffffff));
    const link1 = `${run}-dc1-to-reporting`;
    const link2 = `${run}-dc2-to-reporting`;
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
          checkpointIntervalMs: 100,
          // Small batches keep appends in flight when the daemon stops.
          batch: { adaptive: false, minEvents: 1, initialEvents: 3, maxEvents: 3 },
        },
      ],
    });

    const written = { dc1: 0, dc2: 0 };
    const gate = new WriterGate();
    /** Writers of the current phase that have finished all their appends (they never reach the gate again). */
    let finishedWriters = 0;
    const writePhase = async (appends: number): Promise<void> => {
      finishedWriters = 0;
      const common = { streams, appends, maxBatch: 5, pauseEvery: 2, beforeAppend: gate.beforeAppend };
      const finished = (w: Promise<WrittenEvent[]>) => w.finally(() => finishedWriters++);
      const [w1, w2] = await Promise.all([
        finished(runWriter({ client: c1, node: 'dc1', rng: rng1, ...common })),
        finished(runWriter({ client: c2, node: 'dc2', rng: rng2, ...common })),
      ]);
      written.dc1 += w1.length;
      written.dc2 += w2.length;
    };

    // Each daemon is stopped as soon as it copied something, in the middle of the writers' work. The writers
    // are held between two appends meanwhile: @eventstore/db-client 6.2.1 rejects every pending BatchAppend of
    // the process (all clients share one promise map) when the stopping daemon closes its clients.
    const restarts = 3;
    let stoppedWithLag = 0;
    for (let i = 0; i < restarts; i++) {
      const daemon = await startDaemon(t, config);
      let writing = true;
      const phase = writePhase(plan.int(30, 60)).finally(() => {
        writing = false;
      });
      await eventually(
        () => daemon.status().links.some((l) => l.eventsReplicated > 0) || !writing,
        20_000,
        `daemon #${i + 1} to copy something`,
      );
      gate.close();
      // A writer that already finished its appends never parks: waiting for two parked writers would hang.
      await eventually(() => gate.held + finishedWriters === 2, 10_000, 'the writers to pause');
      if (daemon.status().links.some((l) => l.lagEvents > 0 || l.buffer.events > 0)) stoppedWithLag++;
      const report = await daemon.stop();
      gate.open();
      await phase;
      assert.deepEqual(report.drainTimedOut, [], `daemon #${i + 1} drained within its grace period`);
    }
    t.diagnostic(`${restarts} restarts, ${stoppedWithLag} of them with events still in flight`);

    const last = await startDaemon(t, config);
    await writePhase(plan.int(5, 15));
    await settle(last, [
      { name: link1, origin: c1 },
      { name: link2, origin: c2 },
    ]);
    for (const [origin, prefix, count] of [
      [c1, 'dc1.', written.dc1],
      [c2, 'dc2.', written.dc2],
    ] as const) {
      const result = await compareNodes(origin, cr, { streamPrefix: prefix, includeStreamPrefixes: [`${run}-`] });
      assert.deepEqual(result.differences, [], `${prefix}* equals its origin after the restarts`);
      assert.equal(result.eventsCompared, count, `every event written on ${prefix.slice(0, -1)} is there once`);
    }
  },
);
