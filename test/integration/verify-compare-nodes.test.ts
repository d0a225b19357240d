// compareNodes against two real gRPC nodes (emulators, or servers from ESDB_URL_1/2): identical copies are
// equal, and each kind of difference is found and named.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { EventStoreDBClient, NO_STREAM, ANY, type AppendExpectedRevision } from '@eventstore/db-client';
import { rawEvent } from '../../src/client/raw-bytes.js';
import { isLinkerError } from '../../src/shared/errors.js';
import { compareNodes, type CompareResult } from '../../src/verify/compare-nodes.js';
import { startNodes, type TestNode } from '../helpers/nodes.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

interface EventSpec {
  id?: string;
  type?: string;
  json?: boolean;
  data?: string | Uint8Array;
  metadata?: string;
}

function event(spec: EventSpec = {}) {
  const data = spec.data ?? `{"n":${Math.floor(Math.random() * 1000)}}`;
  return rawEvent({
    id: spec.id ?? randomUUID(),
    type: spec.type ?? 'Happened',
    contentType: spec.json === false ? 'application/octet-stream' : 'application/json',
    data: typeof data === 'string' ? utf8(data) : data,
    metadata: spec.metadata === undefined ? undefined : utf8(spec.metadata),
  });
}

async function append(
  client: EventStoreDBClient,
  stream: string,
  specs: EventSpec[],
  expectedRevision: AppendExpectedRevision = ANY,
): Promise<void> {
  await client.appendToStream(stream, specs.map(event), { expectedRevision });
}

/** Writes the same events (same ids and bytes) to both clients. */
async function appendBoth(
  clients: EventStoreDBClient[],
  stream: string,
  specs: EventSpec[],
  prefix = '',
): Promise<void> {
  const fixed = specs.map((s, i) => ({ ...s, id: s.id ?? randomUUID(), data: s.data ?? `{"i":${i}}` }));
  await append(clients[0]!, stream, fixed);
  await append(clients[1]!, prefix + stream, fixed);
}

describe('compareNodes', () => {
  let nodes: TestNode[] = [];
  let origin: EventStoreDBClient;
  let destination: EventStoreDBClient;
  let clients: EventStoreDBClient[];

  before(async () => {
    nodes = await startNodes(['dc1', 'dc2']);
    origin = nodes[0]!.client();
    destination = nodes[1]!.client();
    clients = [origin, destination];
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  const kinds = (result: CompareResult) => result.differences.map((d) => `${d.stream}:${d.kind}`).sort();

  test('identical copies are equal, including metadata, deletes and annotated metadata', async () => {
    const p = `eq${randomUUID().slice(0, 8)}-`;
    await appendBoth(clients, `${p}json`, [
      { data: '{ "spaced" : 1,"big": 12345678901234567890 }', metadata: '{"corr":"c1"}' },
      { data: '{}', metadata: 'not json at all' },
      { type: 'Other' },
    ]);
    await appendBoth(clients, `${p}bin`, [{ json: false, data: new Uint8Array([0, 1, 2, 255]) }]);
    for (const c of clients) await c.setStreamMetadata(`${p}json`, { maxCount: 100, custom: 'x' } as never);
    // The destination's copy carries replication annotations; the origin event had none or fewer.
    const id1 = randomUUID();
    const id2 = randomUUID();
    await append(origin, `${p}annotated`, [
      { id: id1, data: '{}' },
      { id: id2, data: '{}', metadata: '{"k":1}' },
    ]);
    await append(destination, `${p}annotated`, [
      {
        id: id1,
        data: '{}',
        metadata: '{"$origin":"dc1","$applies":"2026-01-01T00:00:00Z","$eventStreamId":"s","$eventNumber":0}',
      },
      { id: id2, data: '{}', metadata: '{"k":1,"$origin":"dc1"}' },
    ]);
    await appendBoth(clients, `${p}soft`, [{}, {}]);
    for (const c of clients) await c.deleteStream(`${p}soft`);
    await appendBoth(clients, `${p}hard`, [{}]);
    for (const c of clients) await c.tombstoneStream(`${p}hard`);

    const result = await compareNodes(origin, destination, { includeStreamPrefixes: [p] });
    assert.deepEqual(result.differences, []);
    assert.equal(result.equal, true);
    assert.equal(result.truncated, false);
    assert.equal(result.streamsCompared, 5);
    assert.equal(result.eventsCompared, 3 + 1 + 2);
  });

  test('with ignoreAnnotations false, annotated metadata is a metadata difference', async () => {
    const p = `ann${randomUUID().slice(0, 8)}-`;
    const id = randomUUID();
    await append(origin, `${p}s`, [{ id, data: '{}', metadata: '{"k":1}' }]);
    await append(destination, `${p}s`, [{ id, data: '{}', metadata: '{"k":1,"$origin":"dc1"}' }]);
    assert.equal((await compareNodes(origin, destination, { includeStreamPrefixes: [p] })).equal, true);
    const strict = await compareNodes(origin, destination, { includeStreamPrefixes: [p], ignoreAnnotations: false });
    assert.deepEqual(kinds(strict), [`${p}s:metadata`]);
    assert.equal(strict.differences[0]!.revision, 0n);
  });

  test('reports each kind of difference with the stream name', async () => {
    const p = `diff${randomUUID().slice(0, 8)}-`;
    await append(origin, `${p}only-origin`, [{}]);
    await append(destination, `${p}only-destination`, [{}]);

    await appendBoth(clients, `${p}tombstoned`, [{}]);
    await origin.tombstoneStream(`${p}tombstoned`);

    await appendBoth(clients, `${p}count`, [{}, {}]);
    await append(origin, `${p}count`, [{}]);

    await append(origin, `${p}id`, [{}]);
    await append(destination, `${p}id`, [{}]);

    const sameId = () => ({ id: randomUUID() });
    const typeIds = sameId();
    await append(origin, `${p}type`, [{ ...typeIds, type: 'A' }]);
    await append(destination, `${p}type`, [{ ...typeIds, type: 'B' }]);

    const ctIds = sameId();
    await append(origin, `${p}content`, [{ ...ctIds, data: '{"a":1}' }]);
    await append(destination, `${p}content`, [{ ...ctIds, data: '{"a":1}', json: false }]);

    // Same JSON value, different bytes: only a byte comparison sees it.
    const dataIds = sameId();
    await appendBoth(clients, `${p}data`, [{}]);
    await append(origin, `${p}data`, [{ ...dataIds, data: '{"a":1}' }]);
    await append(destination, `${p}data`, [{ ...dataIds, data: '{"a": 1}' }]);

    const metaIds = sameId();
    await append(origin, `${p}meta`, [{ ...metaIds, data: '{}', metadata: '{"user":"a","$origin":"x"}' }]);
    await append(destination, `${p}meta`, [{ ...metaIds, data: '{}', metadata: '{"user":"b","$origin":"y"}' }]);

    await appendBoth(clients, `${p}streammeta`, [{}]);
    await origin.setStreamMetadata(`${p}streammeta`, { maxCount: 5 });
    await destination.setStreamMetadata(`${p}streammeta`, { maxCount: 6 });

    const result = await compareNodes(origin, destination, { includeStreamPrefixes: [p], concurrency: 3 });
    assert.equal(result.equal, false);
    assert.deepEqual(kinds(result), [
      `${p}content:content-type`,
      `${p}count:event-count`,
      `${p}data:data`,
      `${p}id:event-id`,
      `${p}meta:metadata`,
      `${p}only-destination:only-in-destination`,
      `${p}only-origin:only-in-origin`,
      `${p}streammeta:stream-metadata`,
      `${p}tombstoned:deleted-state`,
      `${p}type:event-type`,
    ]);
    const byStream = new Map(result.differences.map((d) => [d.stream, d]));
    assert.equal(byStream.get(`${p}count`)!.revision, 2n);
    assert.match(byStream.get(`${p}count`)!.detail, /origin has 3 events, destination has 2/);
    assert.equal(byStream.get(`${p}data`)!.revision, 1n);
    assert.match(byStream.get(`${p}data`)!.detail, /at byte 5/);
    assert.match(byStream.get(`${p}meta`)!.detail, /key "user": origin "a", destination "b"/);
    assert.match(byStream.get(`${p}streammeta`)!.detail, /"\$maxCount": origin 5, destination 6/);
    assert.match(byStream.get(`${p}tombstoned`)!.detail, /origin is tombstoned/);
  });

  test('a soft delete on one side only and shifted revisions are found', async () => {
    const p = `soft${randomUUID().slice(0, 8)}-`;
    await appendBoth(clients, `${p}deleted`, [{}]);
    await origin.deleteStream(`${p}deleted`);

    // Same events, but the destination's numbering continues after a soft delete.
    const ids = [randomUUID(), randomUUID()];
    await append(
      origin,
      `${p}shifted`,
      ids.map((id) => ({ id, data: '{}' })),
    );
    await append(destination, `${p}shifted`, [{ data: '{}' }]);
    await destination.deleteStream(`${p}shifted`);
    await append(
      destination,
      `${p}shifted`,
      ids.map((id) => ({ id, data: '{}' })),
      NO_STREAM,
    );

    const result = await compareNodes(origin, destination, { includeStreamPrefixes: [p] });
    assert.deepEqual(kinds(result), [
      `${p}deleted:deleted-state`,
      `${p}shifted:revision`,
      `${p}shifted:stream-metadata`,
    ]);
    const deleted = result.differences.find((d) => d.stream === `${p}deleted`)!;
    assert.match(deleted.detail, /origin is soft-deleted/);
    const meta = result.differences.find((d) => d.kind === 'stream-metadata')!;
    assert.match(meta.detail, /"\$tb" only in destination/);
  });

  test('stream prefix maps origin names to destination names; filters narrow the comparison', async () => {
    const p = `pre${randomUUID().slice(0, 8)}-`;
    await appendBoth(clients, `${p}a`, [{}, {}], 'dc1.');
    await appendBoth(clients, `${p}b`, [{}], 'dc1.');
    await append(origin, `${p}skip-me`, [{}]);
    const result = await compareNodes(origin, destination, {
      includeStreamPrefixes: [p],
      excludeStreamPrefixes: [`${p}skip`],
      streamPrefix: 'dc1.',
    });
    assert.deepEqual(result.differences, []);
    assert.equal(result.streamsCompared, 2);
    assert.equal(result.eventsCompared, 3);

    const regex = await compareNodes(origin, destination, {
      includeStreamRegex: `^${p}(a|skip-me)$`,
      streamPrefix: 'dc1.',
    });
    assert.deepEqual(kinds(regex), [`${p}skip-me:only-in-origin`]);
  });

  test('maxDifferences bounds the report and marks it truncated', async () => {
    const p = `max${randomUUID().slice(0, 8)}-`;
    for (let i = 0; i < 6; i++) await append(origin, `${p}${i}`, [{}]);
    const result = await compareNodes(origin, destination, {
      includeStreamPrefixes: [p],
      maxDifferences: 2,
      concurrency: 1,
    });
    assert.equal(result.equal, false);
    assert.equal(result.differences.length, 2);
    assert.equal(result.truncated, true);
    assert.deepEqual(
      result.differences.map((d) => d.stream),
      [`${p}0`, `${p}1`],
    );
  });

  test('an unreachable node rejects with ESDBL_VERIFY_NODE_UNREACHABLE naming the side', async (t) => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const dead = EventStoreDBClient.connectionString(`esdb://admin:secret@127.0.0.1:${port}?tls=false`);
    t.after(() => dead.dispose());
    await assert.rejects(compareNodes(origin, dead), (err: unknown) => {
      assert.ok(isLinkerError(err, 'ESDBL_VERIFY_NODE_UNREACHABLE'), String(err));
      assert.equal(err.details?.side, 'destination');
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
  });

  test('an aborted signal stops the comparison', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop now'));
    await assert.rejects(compareNodes(origin, destination, { signal: controller.signal }), /stop now/);
  });
});
