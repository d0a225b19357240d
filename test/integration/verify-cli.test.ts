// `esdb-linker verify` as users run it (a child process against two nodes over gRPC): exit 0 when equal,
// 1 with the stream names when different, 2 for usage errors, 3 for an unreachable node.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { writeTempConfig } from '../helpers/daemon-process.js';
import { startNodes, type TestNode } from '../helpers/nodes.js';
import { runTool } from '../helpers/run-tool.js';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('esdb-linker verify', () => {
  let nodes: TestNode[] = [];
  let dc1: EventStoreDBClient;
  let dc2: EventStoreDBClient;
  const p = `v${randomUUID().slice(0, 8)}-`;

  before(async () => {
    nodes = await startNodes(['dc1', 'dc2']);
    dc1 = nodes[0]!.client();
    dc2 = nodes[1]!.client();
    // Same events on both sides for `${p}same-*`; `${p}diff` differs in its second event's data.
    for (const stream of [`${p}same-1`, `${p}same-2`]) {
      const events = [0, 1, 2].map((i) => jsonEvent({ id: randomUUID(), type: 'T', data: { i } }));
      await dc1.appendToStream(stream, events);
      await dc2.appendToStream(stream, events);
    }
    const first = jsonEvent({ id: randomUUID(), type: 'T', data: { i: 0 } });
    const id = randomUUID();
    await dc1.appendToStream(`${p}diff`, [first, jsonEvent({ id, type: 'T', data: { v: 'origin' } })]);
    await dc2.appendToStream(`${p}diff`, [first, jsonEvent({ id, type: 'T', data: { v: 'other' } })]);
    // A fan-in copy under a prefix.
    const prefixed = [0, 1].map((i) => jsonEvent({ id: randomUUID(), type: 'T', data: { i } }));
    await dc1.appendToStream(`${p}fan`, prefixed);
    await dc2.appendToStream(`dc1.${p}fan`, prefixed);
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  const cs = (i: number) => nodes[i]!.connectionString;

  test('equal nodes: exit 0 and a summary', async () => {
    const r = await runTool(['verify', '--origin', cs(0), '--destination', cs(1), '--include-prefix', `${p}same-`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /compared 2 streams and 6 events in \d+\.\d s/);
    assert.match(r.stdout, /EQUAL/);
  });

  test('different nodes: exit 1 naming the stream, the kind and the revision', async () => {
    const r = await runTool(['verify', '--origin', cs(0), '--destination', cs(1), '--include-prefix', p]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /DIFFERENT: \d+ differences?/);
    assert.ok(r.stdout.includes(`${p}diff: data at revision 1:`), r.stdout);
    // The fan-in copy is under a prefix, so without --stream-prefix both sides look one-sided.
    assert.ok(r.stdout.includes(`${p}fan: only-in-origin`), r.stdout);
    assert.ok(r.stdout.includes(`dc1.${p}fan: only-in-origin`) === false);
  });

  test('--json gives a machine-readable result with revisions as strings', async () => {
    const r = await runTool([
      'verify',
      '--origin',
      cs(0),
      '--destination',
      cs(1),
      '--include-prefix',
      `${p}diff`,
      '--json',
    ]);
    assert.equal(r.code, 1, r.stderr);
    const out = JSON.parse(r.stdout) as {
      equal: boolean;
      differences: { stream: string; kind: string; revision: string }[];
    };
    assert.equal(out.equal, false);
    assert.deepEqual(
      out.differences.map((d) => [d.stream, d.kind, d.revision]),
      [[`${p}diff`, 'data', '1']],
    );
  });

  test('--config/--link takes the nodes and the stream prefix from the link; unknown links are refused', async (t) => {
    const config = await writeTempConfig({
      nodes: [
        { name: 'dc1', connectionString: cs(0) },
        { name: 'dc2', connectionString: cs(1) },
      ],
      links: [
        {
          name: 'fan',
          origin: 'dc1',
          destination: 'dc2',
          streamPrefix: 'dc1.',
          filter: { includeStreamPrefixes: [`${p}fan`] },
        },
      ],
    });
    t.after(() => config.remove());
    const ok = await runTool(['verify', '--config', config.path, '--link', 'fan']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /origin: +dc1 \(esdb:/);
    assert.match(ok.stdout, /compared 1 stream and 2 events/);

    const unknown = await runTool(['verify', '--config', config.path, '--link', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no link named "nope".*valid link names: fan/);
  });

  test('usage errors exit 2 with a message', async () => {
    const none = await runTool(['verify']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give --origin and --destination/);

    const both = await runTool([
      'verify',
      '--origin',
      cs(0),
      '--destination',
      cs(1),
      '--config',
      'x.yaml',
      '--link',
      'a',
    ]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /not both/);

    const badCs = await runTool(['verify', '--origin', 'http://user:pw@host', '--destination', cs(1)]);
    assert.equal(badCs.code, 2);
    assert.match(badCs.stderr, /--origin/);
    assert.doesNotMatch(badCs.stderr, /pw/);

    const badNumber = await runTool(['verify', '--origin', cs(0), '--destination', cs(1), '--concurrency', 'zero']);
    assert.equal(badNumber.code, 2);
    assert.match(badNumber.stderr, /positive integer/);

    const badRegex = await runTool(['verify', '--origin', cs(0), '--destination', cs(1), '--include-regex', '(']);
    assert.equal(badRegex.code, 2, badRegex.stderr);
    assert.match(badRegex.stderr, /includeStreamRegex is not a valid regular expression/);
  });

  test('an unreachable node: exit 3, a clear message, credentials redacted', async () => {
    const port = await freePort();
    const r = await runTool([
      'verify',
      '--origin',
      cs(0),
      '--destination',
      `esdb://admin:s3cret@127.0.0.1:${port}?tls=false`,
    ]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot reach the destination node/);
    assert.match(r.stderr, /ESDBL_VERIFY_NODE_UNREACHABLE/);
    assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
  });
});
