// `esdb-linker conflicts list` after a real LinkerService recorded conflicts, under the `stream` policy
// (conflict stream) and the `metadata` policy (conflict keys in the replicated event's metadata).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { jsonEvent, type AppendResult, type EventStoreDBClient } from '@eventstore/db-client';
import { resolveConfig } from '../../src/config/resolve-config.js';
import { LinkerService } from '../../src/link/linker-service.js';
import { silentLogger } from '../../src/observability/logger.js';
import { writeTempConfig, type TempConfig } from '../helpers/daemon-process.js';
import { startNodes, type TestNode } from '../helpers/nodes.js';
import { runTool } from '../helpers/run-tool.js';

describe('esdb-linker conflicts list', () => {
  let nodes: TestNode[] = [];
  let dc1: EventStoreDBClient;
  let dc2: EventStoreDBClient;
  let config: TempConfig;
  const p = `c${randomUUID().slice(0, 8)}-`;
  const conflictingIds: Record<string, string> = {};

  before(async () => {
    nodes = await startNodes(['dc1', 'dc2']);
    dc1 = nodes[0]!.client();
    dc2 = nodes[1]!.client();
    const raw = {
      nodes: nodes.map((n) => ({ name: n.name, connectionString: n.connectionString })),
      links: [
        {
          name: 'by-stream',
          origin: 'dc1',
          destination: 'dc2',
          conflicts: 'stream',
          filter: { includeStreamPrefixes: [`${p}s-`] },
        },
        {
          name: 'by-metadata',
          origin: 'dc1',
          destination: 'dc2',
          conflicts: 'metadata',
          streamPrefix: 'm.',
          filter: { includeStreamPrefixes: [`${p}m-`] },
        },
        { name: 'clean', origin: 'dc2', destination: 'dc1', filter: { includeStreamPrefixes: [`${p}none-`] } },
      ],
    };
    config = await writeTempConfig(raw);

    // Both sides write the same streams: dc2 first, so dc1's events conflict when copied.
    let last: AppendResult | undefined;
    for (const [stream, copy] of [
      [`${p}s-order`, `${p}s-order`],
      [`${p}m-order`, `m.${p}m-order`],
    ] as const) {
      await dc2.appendToStream(copy, jsonEvent({ type: 'WrittenOnDc2', data: { side: 2 } }));
      const id = randomUUID();
      conflictingIds[stream] = id;
      last = await dc1.appendToStream(stream, jsonEvent({ id, type: 'WrittenOnDc1', data: { side: 1 } }));
    }
    const resolved = resolveConfig(raw, { env: {} });
    for (const name of ['by-stream', 'by-metadata']) {
      const options = resolved.links.find((l) => l.name === name)!;
      const service = new LinkerService({
        options,
        origin: { name: 'dc1', client: dc1 },
        destination: { name: 'dc2', client: dc2 },
        logger: silentLogger(),
      });
      await service.start();
      try {
        await service.waitForPosition(last!.position!);
      } finally {
        await service.stop();
      }
    }
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await config.remove();
  });

  const list = (link: string, ...rest: string[]) =>
    runTool(['conflicts', 'list', '--config', config.path, '--link', link, ...rest]);

  test('policy stream: the conflict stream record with stream, event number, id, type and revisions', async () => {
    const r = await list('by-stream');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /conflict policy: stream/);
    assert.match(r.stdout, /\$conflicts-from-dc1-to-dc2/);
    assert.match(r.stdout, /1 conflict, newest first/);
    const line = r.stdout.split('\n').find((l) => l.includes(`${p}s-order@0`));
    assert.ok(line, r.stdout);
    assert.ok(line.includes(`id ${conflictingIds[`${p}s-order`]}`), line);
    assert.match(line, /type WrittenOnDc1/);
    assert.match(line, /recorded in \$conflicts-from-dc1-to-dc2@\d+/);
    assert.doesNotMatch(r.stdout, new RegExp(`${p}m-order`));
  });

  test('policy metadata: found by scanning $all for $error metadata; --json gives the fields', async () => {
    const r = await list('by-metadata', '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      policy: string;
      scannedAll: boolean;
      conflicts: {
        source: string;
        originStream: string;
        originEventNumber: string;
        eventId: string;
        type: string;
        actualRevision: string;
      }[];
    };
    assert.equal(out.policy, 'metadata');
    assert.equal(out.scannedAll, true);
    const mine = out.conflicts.filter((c) => c.originStream === `${p}m-order`);
    assert.equal(mine.length, 1, r.stdout);
    assert.equal(mine[0]!.source, 'event-metadata');
    assert.equal(mine[0]!.eventId, conflictingIds[`${p}m-order`]);
    assert.equal(mine[0]!.originEventNumber, '0');
    assert.equal(mine[0]!.type, 'WrittenOnDc1');
    assert.ok(
      out.conflicts.every((c) => c.originStream !== `${p}s-order`),
      "only this link's records",
    );

    const text = await list('by-metadata');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /recorded in event metadata|appended anyway with \$error/);
    assert.match(text.stdout, new RegExp(`${p}m-order@0 .* appended as m\\.${p}m-order@1`));
  });

  test('a link without conflicts says so; --limit must be a positive integer', async () => {
    const r = await list('clean');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no conflicts recorded/);
    const bad = await list('clean', '--limit', '0');
    assert.equal(bad.code, 2, bad.stderr);
  });
});
