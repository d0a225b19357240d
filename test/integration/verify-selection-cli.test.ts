// `esdb-linker verify` against a filtered, local-only fan-in destination: equal when the destination holds
// exactly the origin's selected events (from a config's link, or from flags), different otherwise.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { writeTempConfig } from '../helpers/daemon-process.js';
import { startNodes, type TestNode } from '../helpers/nodes.js';
import { runTool } from '../helpers/run-tool.js';

describe('esdb-linker verify with an event selection', () => {
  let nodes: TestNode[] = [];
  let dc1: EventStoreDBClient;
  let reporting: EventStoreDBClient;
  const p = `vs${randomUUID().slice(0, 8)}-`;
  const ev = (metadata: Record<string, unknown>) =>
    jsonEvent({ id: randomUUID(), type: 'T', data: { n: randomUUID() }, metadata });

  before(async () => {
    nodes = await startNodes(['dc1', 'reporting']);
    dc1 = nodes[0]!.client();
    reporting = nodes[1]!.client();
    // dc1's stream mixes its own events with copies from dc2 (they carry $origin).
    const own0 = ev({ tenant: 'acme' });
    const copy = ev({ $origin: 'dc2', tenant: 'acme' });
    const own2 = ev({ tenant: 'other' });
    const own3 = ev({});
    await dc1.appendToStream(`${p}mixed`, [own0, copy, own2, own3]);
    // A stream dc1 holds only as copies: a local-only fan-in never creates it.
    await dc1.appendToStream(`${p}copied`, [ev({ $origin: 'dc2' }), ev({ $origin: 'dc2' })]);
    await dc1.setStreamMetadata(`${p}copied`, { owner: 'dc2' });
    // What a local-only fan-in wrote (`dc1.` prefix), and what an acme-only one wrote (`acme.` prefix).
    await reporting.appendToStream(`dc1.${p}mixed`, [own0, own2, own3]);
    await reporting.appendToStream(`acme.${p}mixed`, [own0]);
    // A copy with orphan metadata: a stream none of whose events is selected.
    await reporting.appendToStream(`orphan.${p}mixed`, [own0, own2, own3]);
    await reporting.setStreamMetadata(`orphan.${p}copied`, { owner: 'dc2' });
    // A wrong copy: it took the copy from dc2 too.
    await reporting.appendToStream(`bad.${p}mixed`, [own0, copy, own2, own3]);
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  });

  const cs = (i: number) => nodes[i]!.connectionString;
  const base = () => ['verify', '--origin', cs(0), '--destination', cs(1), '--include-prefix', p];

  test('--local-only: equal when the destination holds exactly the events written on the origin', async () => {
    const ok = await runTool([...base(), '--stream-prefix', 'dc1.', '--local-only']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /compared 1 stream and 3 events/);
    assert.match(ok.stdout, /events: +the origin's selected events only/);

    const plain = await runTool([...base(), '--stream-prefix', 'dc1.']);
    assert.equal(plain.code, 1, plain.stdout);
    assert.match(plain.stdout, new RegExp(`${p}copied \\(destination dc1\\.${p}copied\\): only-in-origin`));

    const orphan = await runTool([...base(), '--stream-prefix', 'orphan.', '--local-only']);
    assert.equal(orphan.code, 1, orphan.stdout);
    assert.match(orphan.stdout, new RegExp(`${p}copied \\(destination orphan\\.${p}copied\\): only-in-destination`));

    const bad = await runTool([...base(), '--stream-prefix', 'bad.', '--local-only']);
    assert.equal(bad.code, 1, bad.stdout);
    assert.match(bad.stdout, new RegExp(`${p}mixed \\(destination bad\\.${p}mixed\\): event-id`));
  });

  test('--include-metadata (Linker key:value*) and --exclude-metadata select origin events by metadata', async () => {
    const ok = await runTool([
      ...base(),
      '--stream-prefix',
      'acme.',
      '--include-metadata',
      'tenant:ac*',
      '--local-only',
    ]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const excluded = await runTool([
      ...base(),
      '--stream-prefix',
      'dc1.',
      '--local-only',
      '--exclude-metadata',
      'tenant:other',
    ]);
    assert.equal(excluded.code, 1, excluded.stdout);
    assert.match(excluded.stdout, new RegExp(`${p}mixed \\(destination dc1\\.${p}mixed\\): event-id`));

    const usage = await runTool([...base(), '--include-metadata', 'tenant']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--include-metadata "tenant" has no ":"/);
  });

  test("--config/--link applies the link's localOnly and metadata filters", async (t) => {
    const config = await writeTempConfig({
      nodes: [
        { name: 'dc1', connectionString: cs(0) },
        { name: 'dc2', connectionString: 'esdb://127.0.0.1:1?tls=false' },
        { name: 'reporting', connectionString: cs(1) },
      ],
      topology: [{ type: 'active-active', nodes: ['dc1', 'dc2'] }],
      links: [
        {
          name: 'local',
          origin: 'dc1',
          destination: 'reporting',
          streamPrefix: 'dc1.',
          filter: { includeStreamPrefixes: [p], localOnly: true },
        },
        {
          name: 'acme',
          origin: 'dc1',
          destination: 'reporting',
          streamPrefix: 'acme.',
          filter: {
            includeStreamPrefixes: [p],
            fromNodes: ['dc1'],
            includeMetadata: [{ key: 'tenant', value: 'acme' }],
          },
        },
        {
          name: 'bad',
          origin: 'dc1',
          destination: 'reporting',
          streamPrefix: 'bad.',
          filter: { includeStreamPrefixes: [p], localOnly: true },
        },
      ],
    });
    t.after(() => config.remove());
    for (const [link, code] of [
      ['local', 0],
      ['acme', 0],
      ['bad', 1],
    ] as const) {
      const r = await runTool(['verify', '--config', config.path, '--link', link]);
      assert.equal(r.code, code, `${link}: ${r.stdout}${r.stderr}`);
    }
  });
});
