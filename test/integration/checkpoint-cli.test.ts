// `esdb-linker checkpoint show|set|reset` against a destination node over gRPC; what `set` writes is what
// the daemon's own CheckpointStore reads back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { installRawBytes } from '../../src/client/raw-bytes.js';
import { CheckpointStore } from '../../src/link/checkpoint/checkpoint-store.js';
import { writeTempConfig, type TempConfig } from '../helpers/daemon-process.js';
import { startNodes, uniqueName, type TestNode } from '../helpers/nodes.js';
import { runTool } from '../helpers/run-tool.js';

describe('esdb-linker checkpoint', () => {
  let nodes: TestNode[] = [];
  let dc2: EventStoreDBClient;
  let config: TempConfig;
  const link = uniqueName('cp');

  before(async () => {
    installRawBytes();
    nodes = await startNodes(['dc1', 'dc2']);
    dc2 = nodes[1]!.client();
    config = await writeTempConfig({
      nodes: nodes.map((n) => ({ name: n.name, connectionString: n.connectionString })),
      links: [
        { name: link, origin: 'dc1', destination: 'dc2' },
        { name: `${link}-back`, origin: 'dc2', destination: 'dc1' },
        { name: `${link}-bad`, origin: 'dc1', destination: 'dc2', streamPrefix: 'bad.' },
      ],
    });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await config.remove();
  });

  const args = (...rest: string[]) => ['checkpoint', ...rest, '--config', config.path, '--link', link];

  test('show, set, show, reset: positions round-trip through the daemon checkpoint store', async () => {
    const empty = await runTool(args('show'));
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, new RegExp(`stream \\$linker-checkpoint-${link} in dc2`));
    assert.match(empty.stdout, /no checkpoint/);

    const set = await runTool(args('set', '--position', '98765/98760'));
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /checkpoint set to 98765\/98760 \(was no checkpoint\)/);
    assert.match(set.stdout, /daemon must not be running/);
    const stored = await new CheckpointStore(dc2, link, () => Date.now()).read();
    assert.deepEqual(stored, { commit: 98765n, prepare: 98760n });

    const shown = await runTool(args('show'));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /checkpoint: 98765\/98760 \(commit\/prepare\), written \d{4}-\d\d-\d\dT/);

    const forward = await runTool(args('set', '--position', '100000'));
    assert.equal(forward.code, 0, forward.stderr);
    assert.match(forward.stdout, /was 98765\/98760/);
    assert.match(forward.stdout, /will NOT be copied/);

    const reset = await runTool(args('reset'));
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /checkpoint set to 0\/0 \(was 100000\/100000\)/);
    assert.match(reset.stdout, /replays dc1's whole \$all.*idempotent/);
    assert.deepEqual(await new CheckpointStore(dc2, link, () => Date.now()).read(), { commit: 0n, prepare: 0n });

    const json = await runTool(args('show', '--json'));
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { link: string; checkpoint: { commit: string; prepare: string } };
    assert.equal(parsed.link, link);
    assert.deepEqual([parsed.checkpoint.commit, parsed.checkpoint.prepare], ['0', '0']);
  });

  test('the other link keeps its own checkpoint', async () => {
    const other = await runTool(['checkpoint', 'show', '--config', config.path, '--link', `${link}-back`]);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /in dc1/);
    assert.match(other.stdout, /no checkpoint/);
  });

  test('a damaged checkpoint: show fails naming it, set replaces it', async () => {
    const bad = `${link}-bad`;
    await dc2.appendToStream(
      `$linker-checkpoint-${bad}`,
      jsonEvent({ type: '$linker-checkpoint', data: { commit: 12 } }),
    );
    const shown = await runTool(['checkpoint', 'show', '--config', config.path, '--link', bad]);
    assert.equal(shown.code, 3, shown.stdout + shown.stderr);
    assert.match(shown.stderr, /ESDBL_LINK_CHECKPOINT_INVALID/);
    const set = await runTool(['checkpoint', 'set', '--position', '500', '--config', config.path, '--link', bad]);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /checkpoint set to 500\/500 \(was an invalid checkpoint/);
    assert.deepEqual(await new CheckpointStore(dc2, bad, () => Date.now()).read(), { commit: 500n, prepare: 500n });
  });

  test('refuses unknown links (listing the valid ones), bad positions and missing flags with exit 2', async () => {
    const unknown = await runTool(['checkpoint', 'show', '--config', config.path, '--link', 'nope']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, new RegExp(`valid link names: ${link}, ${link}-back, ${link}-bad`));

    for (const bad of ['abc', '12/34', '-5', '1.5']) {
      const r = await runTool(args('set', '--position', bad));
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /--position/);
    }
    const missing = await runTool(args('set'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--position/);

    const noConfig = await runTool(['checkpoint', 'show', '--config', 'does-not-exist.yaml', '--link', link]);
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /cannot read config file/);
  });

  test('an unreachable destination exits 3 naming the node', async (t) => {
    const dead = await writeTempConfig({
      nodes: [
        { name: 'dc1', connectionString: nodes[0]!.connectionString },
        // Port 1 on loopback: nothing listens there.
        { name: 'gone', connectionString: 'esdb://admin:s3cret@127.0.0.1:1?tls=false' },
      ],
      links: [{ name: 'a', origin: 'dc1', destination: 'gone' }],
    });
    t.after(() => dead.remove());
    const r = await runTool(['checkpoint', 'show', '--config', dead.path, '--link', 'a']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot reach node gone/);
    assert.doesNotMatch(r.stderr, /s3cret/);
  });
});
