// Every filter form through the real daemon over real gRPC: Linker's `key:value` and `key:value*` strings,
// the object forms, excludes winning over includes, fromNodes along a chain, and the rule that a stream's
// `$$` metadata and tombstone follow its selected events (no orphan metadata or lone tombstone).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { ANY, type EventStoreDBClient } from '@eventstore/db-client';
import { rawEvent } from '../../src/client/raw-bytes.js';
import { CheckpointStore } from '../../src/link/checkpoint/checkpoint-store.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { linkCompareOptions } from '../../src/verify/link-selection.js';
import { uniqueName, type TestNode } from '../helpers/nodes.js';
import { nodesSection, settle, startDaemon, startTopologyNodes, topologyConfig } from '../helpers/topology-daemon.js';
import { readAllEvents } from '../helpers/topology-inspect.js';

const encoder = new TextEncoder();

interface Planned {
  stream: string;
  /** Event metadata as written (exact bytes). */
  metadata: string;
  /** The destinations that must hold it. */
  to: string[];
  id: string;
}

async function write(client: EventStoreDBClient, events: readonly Planned[]): Promise<void> {
  for (const e of events) {
    await client.appendToStream(
      e.stream,
      rawEvent({
        id: e.id,
        type: 'Happened',
        contentType: 'application/json',
        data: encoder.encode('{"x":1}'),
        metadata: encoder.encode(e.metadata),
      }),
      { expectedRevision: ANY },
    );
  }
}

async function setStreamMetadata(client: EventStoreDBClient, stream: string, json: string): Promise<void> {
  await client.appendToStream(
    `$$${stream}`,
    rawEvent({ id: randomUUID(), type: '$metadata', contentType: 'application/json', data: encoder.encode(json) }),
    { expectedRevision: ANY },
  );
}

/** User streams of a node and the ids each holds, in order (`$$` streams listed by name, with no ids). */
async function userStreams(client: EventStoreDBClient): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const e of await readAllEvents(client)) {
    if (e.streamId.startsWith('$$') && !e.streamId.startsWith('$$$')) {
      if (!out.has(e.streamId)) out.set(e.streamId, []);
      continue;
    }
    if (e.streamId.startsWith('$')) continue;
    out.set(e.streamId, [...(out.get(e.streamId) ?? []), e.id]);
  }
  return out;
}

test(
  'metadata filters: exact and key:value* strings, {value}/{prefix}/{regex} objects, excludes win; $$ and tombstones follow',
  { timeout: 60_000 },
  async (t) => {
    const names = ['src', 'exact', 'prefix', 'objects', 'exclude'];
    const nodes = await startTopologyNodes(t, names);
    const [src, ...dests] = nodes as [TestNode, ...TestNode[]];
    const client = src.client();
    const run = uniqueName('mf');
    const s = (n: string) => `${run}-${n}`;
    const id = () => randomUUID();
    const filters: Record<string, unknown> = {
      exact: { includeMetadata: ['tenant:acme'] },
      prefix: { includeMetadata: ['region:eu-*'], excludeMetadata: ['region:eu-test*'] },
      objects: {
        includeMetadata: [
          { key: 'priority', value: 7 },
          { key: 'user', regex: '^svc-\\d+$' },
          { key: 'flag', value: true },
          { key: 'path', prefix: 'a:b' },
        ],
      },
      exclude: { excludeMetadata: ['tenant:acme', { key: 'region', regex: '^us-' }] },
    };
    // What each event's metadata is, and which destinations must take it (checked against the real daemon).
    const everywhereButExact = ['exclude'];
    const plan: Planned[] = [
      { stream: s('mixed'), metadata: '{"tenant":"acme","region":"eu-west"}', to: ['exact', 'prefix'] },
      { stream: s('mixed'), metadata: '{"tenant":"acme-corp"}', to: everywhereButExact },
      { stream: s('mixed'), metadata: '{"tenant":"Acme"}', to: everywhereButExact },
      { stream: s('mixed'), metadata: '{ "region" : "eu-" , "priority": 7 }', to: ['prefix', 'objects', 'exclude'] },
      { stream: s('mixed'), metadata: '{"region":"eu-test-1","priority":70}', to: ['exclude'] },
      { stream: s('mixed'), metadata: '{"region":"us-east","user":"svc-42"}', to: ['objects'] },
      { stream: s('mixed'), metadata: '{"user":"svc-x","flag":"true"}', to: ['objects', 'exclude'] },
      { stream: s('mixed'), metadata: '{"flag":true,"tenant":null}', to: ['objects', 'exclude'] },
      { stream: s('mixed'), metadata: '{"path":"a:b/c","tenant":{"name":"acme"}}', to: ['objects', 'exclude'] },
      { stream: s('mixed'), metadata: '["tenant","acme"]', to: ['exclude'] },
      { stream: s('mixed'), metadata: '', to: ['exclude'] },
      // A stream only `exact` selects from: its metadata goes there, nowhere else (no orphan $$ streams).
      { stream: s('acme-only'), metadata: '{"tenant":"acme"}', to: ['exact'] },
      { stream: s('acme-only'), metadata: '{"tenant":"acme","priority":"7x"}', to: ['exact'] },
      // Tombstoned later: the tombstone reaches only where events of it were copied.
      { stream: s('doomed'), metadata: '{"region":"eu-north"}', to: ['prefix', 'exclude'] },
    ].map((p) => ({ ...p, id: id() }));

    // Stream metadata written BEFORE any event of the stream: it must still reach the destinations that
    // create the stream, and only those.
    console.error('stage: nodes up');
    await setStreamMetadata(client, s('acme-only'), '{"$maxCount":1000,"owner":"acme"}');
    await write(client, plan);
    await setStreamMetadata(client, s('mixed'), '{"team":"blue"}');

    const config = topologyConfig({
      nodes: nodesSection(nodes),
      links: dests.map((d) => ({
        name: `${run}-to-${d.name}`,
        origin: 'src',
        destination: d.name,
        checkpointIntervalMs: 200,
        filter: { includeStreamPrefixes: [`${run}-`], ...(filters[d.name] as object) },
      })),
    });
    const daemon = await startDaemon(t, config);
    await settle(
      daemon,
      dests.map((d) => ({ name: `${run}-to-${d.name}`, origin: client })),
    );
    await client.tombstoneStream(s('doomed'));
    await settle(
      daemon,
      dests.map((d) => ({ name: `${run}-to-${d.name}`, origin: client })),
    );
    for (const d of dests) {
      const held = await userStreams(d.client());
      const expected = new Map<string, string[]>();
      for (const p of plan)
        if (p.to.includes(d.name)) expected.set(p.stream, [...(expected.get(p.stream) ?? []), p.id]);
      const got = new Map([...held].filter(([k]) => !k.startsWith('$$')));
      assert.deepEqual(
        new Map([...got].filter(([k]) => k !== s('doomed'))),
        new Map([...expected].filter(([k]) => k !== s('doomed'))),
        `${d.name} holds exactly its selected events, in order`,
      );
      // Metadata streams exist only for streams the destination holds.
      const metastreams = [...held.keys()].filter((k) => k.startsWith('$$')).sort();
      const wantMeta = [s('acme-only'), s('mixed')].filter((n) => expected.has(n)).map((n) => `$$${n}`);
      assert.deepEqual(metastreams, wantMeta.sort(), `${d.name}: $$ streams follow the selected streams`);
      // The tombstone only where the stream was created.
      const doomed = d.client().readStream(s('doomed'));
      if (expected.has(s('doomed'))) {
        await assert.rejects(
          (async () => {
            for await (const _ of doomed) void _;
          })(),
          /deleted/i,
          `${d.name}: the doomed stream is tombstoned`,
        );
      } else {
        assert.ok(!held.has(s('doomed')), `${d.name}: no lone tombstone`);
        await assert.rejects(
          (async () => {
            for await (const _ of doomed) void _;
          })(),
          /not found/i,
        );
      }
      // verify with the link's selection agrees, stream metadata included.
      const link = config.links.find((l) => l.destination === d.name)!;
      const result = await compareNodes(client, d.client(), linkCompareOptions(link));
      assert.deepEqual(result.differences, [], `verify ${link.name}`);
    }
    const byName = new Map(daemon.status().links.map((l) => [l.name, l]));
    assert.ok([...byName.values()].every((l) => l.conflicts === 0 && l.state === 'running'));
  },
);

test(
  'fromNodes along a chain: only events first written on the named nodes reach the end',
  { timeout: 60_000 },
  async (t) => {
    const nodes = await startTopologyNodes(t, ['edge', 'hub', 'central']);
    const [edge, hub, central] = nodes as [TestNode, TestNode, TestNode];
    const run = uniqueName('fn');
    const stream = `${run}-s`;
    const hubStream = `${run}-h`;
    const onEdge: Planned[] = [0, 1, 2].map(() => ({ stream, metadata: '{"k":1}', to: ['central'], id: randomUUID() }));
    const onHub: Planned[] = [0, 1].map(() => ({ stream: hubStream, metadata: '', to: [], id: randomUUID() }));
    await write(edge.client(), onEdge);
    const config = topologyConfig({
      nodes: nodesSection(nodes),
      links: [
        { name: `${run}-e-h`, origin: 'edge', destination: 'hub', filter: { includeStreamPrefixes: [`${run}-`] } },
        {
          name: `${run}-h-c`,
          origin: 'hub',
          destination: 'central',
          filter: { includeStreamPrefixes: [`${run}-`], fromNodes: ['edge'] },
        },
      ],
    });
    const daemon = await startDaemon(t, config);
    await write(hub.client(), onHub);
    const late: Planned = { stream, metadata: '{"k":2}', to: ['central'], id: randomUUID() };
    await write(edge.client(), [late]);
    const links = [
      { name: `${run}-e-h`, origin: edge.client() },
      { name: `${run}-h-c`, origin: hub.client() },
    ];
    await settle(daemon, links);
    const onHubNow = await userStreams(hub.client());
    assert.deepEqual(
      onHubNow.get(stream),
      [...onEdge, late].map((e) => e.id),
      'hub holds the edge events',
    );
    assert.deepEqual(
      onHubNow.get(hubStream),
      onHub.map((e) => e.id),
      'and its own',
    );
    const onCentral = await userStreams(central.client());
    assert.deepEqual(
      [...onCentral.keys()].filter((k) => k.startsWith(run)),
      [stream],
      'central holds only the stream first written on edge',
    );
    assert.deepEqual(
      onCentral.get(stream),
      [...onEdge, late].map((e) => e.id),
    );
    const link = config.links[1]!;
    assert.deepEqual((await compareNodes(hub.client(), central.client(), linkCompareOptions(link))).differences, []);
  },
);

test('a stream created before a crash still gets its metadata when the link replays its first event', async (t) => {
  const nodes = await startTopologyNodes(t, ['src', 'dst']);
  const [src, dst] = nodes as [TestNode, TestNode];
  const run = uniqueName('mr');
  const stream = `${run}-s`;
  await setStreamMetadata(src.client(), stream, '{"owner":"acme","$maxCount":500}');
  const events: Planned[] = [
    { stream, metadata: '{"tenant":"acme"}', to: ['dst'], id: randomUUID() },
    { stream, metadata: '{"tenant":"other"}', to: [], id: randomUUID() },
    { stream, metadata: '{"tenant":"acme"}', to: ['dst'], id: randomUUID() },
  ];
  await write(src.client(), events);
  // What a link that crashed right after creating the destination stream left behind: its first event, and a
  // checkpoint past the `$$` event it skipped while the stream did not exist.
  await write(dst.client(), [events[0]!]);
  const metaEvent = (await readAllEvents(src.client())).find((e) => e.streamId === `$$${stream}`);
  assert.ok(metaEvent);
  await new CheckpointStore(dst.client(), `${run}-link`, () => Date.now()).write(metaEvent.position);
  const config = topologyConfig({
    nodes: nodesSection(nodes),
    links: [
      {
        name: `${run}-link`,
        origin: 'src',
        destination: 'dst',
        filter: { includeStreamPrefixes: [`${run}-`], includeMetadata: ['tenant:acme'] },
      },
    ],
  });
  const daemon = await startDaemon(t, config);
  await settle(daemon, [{ name: `${run}-link`, origin: src.client() }]);
  const held = await userStreams(dst.client());
  assert.deepEqual(held.get(stream), [events[0]!.id, events[2]!.id]);
  assert.ok(held.has(`$$${stream}`), 'the stream metadata was copied');
  const result = await compareNodes(src.client(), dst.client(), linkCompareOptions(config.links[0]!));
  assert.deepEqual(result.differences, []);
});
