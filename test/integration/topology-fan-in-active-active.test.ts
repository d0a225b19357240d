// The reporting database beneath an active/active pair: each DC holds the other's events too, so the fan-in
// takes only what each DC wrote itself (localOnly), filtered by Linker-style metadata conditions. Checked
// stream by stream against what the writers wrote, independently of the daemon.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamDeletedError, StreamNotFoundError, type EventStoreDBClient } from '@eventstore/db-client';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { linkCompareOptions } from '../../src/verify/link-selection.js';
import { uniqueName, type TestNode } from '../helpers/nodes.js';
import { nodesSection, settle, startDaemon, startTopologyNodes, topologyConfig } from '../helpers/topology-daemon.js';
import { jsonObjectOf, readAllEvents } from '../helpers/topology-inspect.js';
import {
  createRandom,
  runWriter,
  seedStreams,
  setStreamMetadata,
  streamNames,
  workloadSeed,
  type WrittenEvent,
} from '../helpers/topology-workload.js';

/** The fan-in's metadata filter, restated as the test's own oracle: tenant t3..., t5 and t6 stay out. */
function selected(e: WrittenEvent): boolean {
  const tenant = jsonObjectOf(e.metadata)?.tenant;
  return !(typeof tenant === 'string' && (tenant.startsWith('t3') || /^t[56]$/.test(tenant)));
}

async function streamIds(client: EventStoreDBClient, stream: string): Promise<string[] | 'tombstoned' | 'absent'> {
  const ids: string[] = [];
  try {
    for await (const r of client.readStream(stream)) if (r.event) ids.push(r.event.id);
  } catch (err) {
    if (err instanceof StreamDeletedError) return 'tombstoned';
    if (err instanceof StreamNotFoundError) return 'absent';
    throw err;
  }
  return ids;
}

test(
  'fan-in beneath active/active with localOnly and metadata filters: reporting holds each event exactly once',
  { timeout: 90_000 },
  async (t) => {
    const seed = workloadSeed();
    t.diagnostic(`workload seed ${seed} (replay with TOPOLOGY_SEED=${seed})`);
    const plan = createRandom(seed);
    const nodes = await startTopologyNodes(t, ['dc1', 'dc2', 'reporting']);
    const [dc1, dc2, reporting] = nodes as [TestNode, TestNode, TestNode];
    const clients = { dc1: dc1.client(), dc2: dc2.client() };
    const cr = reporting.client();
    const run = uniqueName('fiaa');
    const one1 = streamNames(plan, `${run}-one1-`, plan.int(3, 6));
    const one2 = streamNames(plan, `${run}-one2-`, plan.int(3, 6));
    const both = streamNames(plan, `${run}-both-`, plan.int(2, 4));
    const rng = { dc1: createRandom(plan.int(0, 0xffffffff)), dc2: createRandom(plan.int(0, 0xffffffff)) };
    const streamsOf = { dc1: [...one1, ...both], dc2: [...one2, ...both] };
    const written: WrittenEvent[] = [];
    for (const node of ['dc1', 'dc2'] as const) {
      const opts = { client: clients[node], node, rng: rng[node], streams: streamsOf[node], maxBatch: 4 };
      written.push(...(await seedStreams({ ...opts, appends: 0, metadata: 'json-object' })));
    }
    for (const s of one1) if (rng.dc1.chance(0.4)) await setStreamMetadata(clients.dc1, rng.dc1, s);
    for (const s of one2) if (rng.dc2.chance(0.4)) await setStreamMetadata(clients.dc2, rng.dc2, s);

    const inRun = { includeStreamPrefixes: [`${run}-`] };
    const config = topologyConfig({
      nodes: nodesSection(nodes),
      topology: [
        { type: 'active-active', nodes: ['dc1', 'dc2'], name: `${run}-{origin}-to-{destination}`, filter: inRun },
        {
          type: 'fan-in',
          origins: ['dc1', 'dc2'],
          destination: 'reporting',
          name: `${run}-{origin}-into-reporting`,
          streamPrefix: '{origin}.',
          checkpointIntervalMs: 200,
          filter: { ...inRun, localOnly: true, excludeMetadata: ['tenant:t3*', { key: 'tenant', regex: '^t[56]$' }] },
        },
      ],
    });
    assert.deepEqual(config.warnings, []);
    const daemon = await startDaemon(t, config);
    const writers = (['dc1', 'dc2'] as const).map((node) =>
      runWriter({
        client: clients[node],
        node,
        rng: rng[node],
        streams: streamsOf[node],
        appends: rng[node].int(20, 40),
        maxBatch: 5,
        metadata: 'json-object',
      }),
    );
    for (const w of await Promise.all(writers)) written.push(...w);
    const settleLinks = config.links.map((l) => ({ name: l.name, origin: clients[l.origin as 'dc1' | 'dc2'] }));
    await settle(daemon, settleLinks);

    // Stream state after the copies exist: a dc1 stream deleted on dc1, and metadata dc2 sets on a dc1 stream
    // (dc2 wrote no event of it, so only dc1's copy in reporting may carry it).
    const doomed = one1[0]!;
    await clients.dc1.tombstoneStream(doomed);
    const foreignMeta = one1[1]!;
    await setStreamMetadata(clients.dc2, rng.dc2, foreignMeta);
    await settle(daemon, settleLinks);

    const stored = (await readAllEvents(cr)).filter((e) => !e.streamId.startsWith('$') && e.type !== '$streamDeleted');
    const seen = new Map<string, string>();
    for (const e of stored) {
      assert.ok(!seen.has(e.id), `event ${e.id} is in reporting twice (${seen.get(e.id)} and ${e.streamId})`);
      seen.set(e.id, e.streamId);
    }
    const expected = written.filter((e) => selected(e) && e.stream !== doomed);
    assert.ok(expected.length > 20 && expected.length < written.length, 'the filter selects some events, not all');
    for (const e of expected) {
      assert.equal(seen.get(e.id), `${e.node}.${e.stream}`, `event ${e.id} once, under the prefix of ${e.node}`);
    }
    const doomedIds = new Set(written.filter((e) => e.stream === doomed).map((e) => e.id));
    const unexpected = stored.filter((e) => !expected.some((x) => x.id === e.id) && !doomedIds.has(e.id));
    assert.deepEqual(
      unexpected.map((e) => `${e.streamId}@${e.revision}`),
      [],
      'reporting holds no event outside the selection',
    );

    // Stream by stream: each DC's events in its own order, nothing else; streams without selected events absent.
    for (const node of ['dc1', 'dc2'] as const) {
      const mine = new Set(written.filter((e) => e.node === node && selected(e)).map((e) => e.id));
      for (const s of [...one1, ...one2, ...both]) {
        const inReporting = await streamIds(cr, `${node}.${s}`);
        if (s === doomed) {
          assert.equal(inReporting, node === 'dc1' ? 'tombstoned' : 'absent', `${node}.${s}`);
          continue;
        }
        const onNode = await streamIds(clients[node], s);
        assert.ok(Array.isArray(onNode), `${s} readable on ${node}`);
        const want = onNode.filter((id) => mine.has(id));
        assert.deepEqual(inReporting, want.length === 0 ? 'absent' : want, `${node}.${s}`);
      }
    }
    const metastreams = new Set((await readAllEvents(cr)).map((e) => e.streamId).filter((s) => s.startsWith('$$')));
    assert.ok(metastreams.has(`$$dc1.${foreignMeta}`), "dc1's copy carries the metadata dc2 set");
    assert.ok(!metastreams.has(`$$dc2.${foreignMeta}`), 'no orphan metadata under dc2.');
    for (const s of metastreams) {
      const user = s.slice(2);
      assert.notEqual(await streamIds(cr, user), 'absent', `${s} belongs to a stream reporting holds`);
    }

    // verify with each fan-in link's selection agrees, stream metadata and tombstones included.
    for (const link of config.links.filter((l) => l.destination === 'reporting')) {
      const result = await compareNodes(clients[link.origin as 'dc1' | 'dc2'], cr, linkCompareOptions(link));
      assert.deepEqual(result.differences, [], `verify ${link.name}`);
    }
    // The pair itself still converges on the streams only one side writes.
    const pair = await compareNodes(clients.dc1, clients.dc2, { includeStreamPrefixes: [`${run}-one`] });
    assert.deepEqual(pair.differences, []);
    assert.ok(daemon.status().links.every((l) => l.state === 'running'));
    t.diagnostic(`${written.length} events written, ${expected.length} selected, ${stored.length} in reporting`);
  },
);
