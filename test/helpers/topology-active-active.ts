import type { TestContext } from 'node:test';
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Daemon } from '../../src/daemon/daemon.js';
import type { ConflictPolicy } from '../../src/link/link-options.js';
import { uniqueName, type TestNode } from './nodes.js';
import { nodesSection, startDaemon, startTopologyNodes, topologyConfig } from './topology-daemon.js';
import {
  createRandom,
  runWriter,
  seedStreams,
  setStreamMetadata,
  streamNames,
  workloadSeed,
  type MetadataShapes,
  type WrittenEvent,
} from './topology-workload.js';

/** A running active/active pair (dc1 <-> dc2) after both sides wrote at once. */
export interface ActiveActiveRun {
  run: string;
  daemon: Daemon;
  nodes: [TestNode, TestNode];
  clients: [EventStoreDBClient, EventStoreDBClient];
  /** `${run}-one1-` streams are written on dc1 only, `${run}-one2-` on dc2 only, `${run}-both-` on both. */
  prefixes: { one1: string; one2: string; both: string };
  written: { dc1: WrittenEvent[]; dc2: WrittenEvent[] };
  link12: string;
  link21: string;
}

export interface ActiveActiveOptions {
  /** Policy per direction; presets apply one policy to both, explicit links allow two. */
  policy12: ConflictPolicy;
  policy21: ConflictPolicy;
  /** Event metadata the writers use. @defaultValue 'all' */
  metadata?: MetadataShapes;
}

/**
 * Starts dc1 and dc2, writes a seeded random workload where some streams exist on both sides before the daemon
 * starts (so conflicts are certain in both directions), starts the daemon, and keeps writing on both nodes at
 * once while it runs. Returns once both writers are done (the links may still be copying).
 */
export async function runActiveActive(t: TestContext, options: ActiveActiveOptions): Promise<ActiveActiveRun> {
  const seed = workloadSeed();
  t.diagnostic(`workload seed ${seed} (replay with TOPOLOGY_SEED=${seed})`);
  const plan = createRandom(seed);
  const [dc1, dc2] = (await startTopologyNodes(t, ['dc1', 'dc2'])) as [TestNode, TestNode];
  const clients: [EventStoreDBClient, EventStoreDBClient] = [dc1.client(), dc2.client()];
  const run = uniqueName('aa');
  const prefixes = { one1: `${run}-one1-`, one2: `${run}-one2-`, both: `${run}-both-` };
  const one1 = streamNames(plan, prefixes.one1, plan.int(3, 8));
  const one2 = streamNames(plan, prefixes.one2, plan.int(3, 8));
  const both = streamNames(plan, prefixes.both, plan.int(2, 5));
  const rng1 = createRandom(plan.int(0, 0xffffffff));
  const rng2 = createRandom(plan.int(0, 0xffffffff));

  const written = { dc1: [] as WrittenEvent[], dc2: [] as WrittenEvent[] };
  written.dc1.push(
    ...(await seedStreams({
      client: clients[0],
      node: 'dc1',
      rng: rng1,
      streams: [...one1, ...both],
      appends: 0,
      maxBatch: 4,
      metadata: options.metadata,
    })),
  );
  written.dc2.push(
    ...(await seedStreams({
      client: clients[1],
      node: 'dc2',
      rng: rng2,
      streams: [...one2, ...both],
      appends: 0,
      maxBatch: 4,
      metadata: options.metadata,
    })),
  );
  for (const s of one1) if (rng1.chance(0.3)) await setStreamMetadata(clients[0], rng1, s);
  for (const s of one2) if (rng2.chance(0.3)) await setStreamMetadata(clients[1], rng2, s);

  const link12 = `${run}-dc1-to-dc2`;
  const link21 = `${run}-dc2-to-dc1`;
  const common = { filter: { includeStreamPrefixes: [`${run}-`] }, checkpointIntervalMs: 200 };
  const config =
    options.policy12 === options.policy21
      ? topologyConfig({
          nodes: nodesSection([dc1, dc2]),
          topology: [
            {
              type: 'active-active',
              nodes: ['dc1', 'dc2'],
              name: `${run}-{origin}-to-{destination}`,
              conflicts: options.policy12,
              ...common,
            },
          ],
        })
      : topologyConfig({
          nodes: nodesSection([dc1, dc2]),
          links: [
            { name: link12, origin: 'dc1', destination: 'dc2', conflicts: options.policy12, ...common },
            { name: link21, origin: 'dc2', destination: 'dc1', conflicts: options.policy21, ...common },
          ],
        });
  const daemon = await startDaemon(t, config);

  const [w1, w2] = await Promise.all([
    runWriter({
      client: clients[0],
      node: 'dc1',
      rng: rng1,
      streams: [...one1, ...both],
      appends: rng1.int(20, 45),
      maxBatch: 6,
      metadata: options.metadata,
    }),
    runWriter({
      client: clients[1],
      node: 'dc2',
      rng: rng2,
      streams: [...one2, ...both],
      appends: rng2.int(20, 45),
      maxBatch: 6,
      metadata: options.metadata,
    }),
  ]);
  written.dc1.push(...w1);
  written.dc2.push(...w2);
  t.diagnostic(
    `${one1.length}+${one2.length} one-sided streams, ${both.length} written on both sides; ` +
      `${written.dc1.length} events written on dc1, ${written.dc2.length} on dc2`,
  );
  return { run, daemon, nodes: [dc1, dc2], clients, prefixes, written, link12, link21 };
}
