import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startCluster, type ClusterOptions } from '../../src/emulator/index.js';
import { LinkerError } from '../../src/shared/errors.js';

const bad: [ClusterOptions, RegExp][] = [
  [{ nodes: 0 }, /cluster size must be an integer from 1 to 9, got 0/],
  [{ nodes: 2.5 }, /cluster size/],
  [{ nodes: 10 }, /cluster size/],
  [{ electionMs: -1 }, /electionMs must be an integer from 0 to 60000, got -1/],
  [{ ports: [0, 0] }, /cluster of 3 nodes needs 3 ports, got 2/],
  [{ ports: [0, 0, 70000] }, /port of node 2 must be an integer from 0 to 65535, got 70000/],
  [{ port: 65534 }, /port of node 2 must be an integer from 0 to 65535, got 65536/],
  [{ maxAppendSize: 0 }, /maxAppendSize must be a positive integer/],
];

for (const [options, message] of bad) {
  test(`startCluster(${JSON.stringify(options)}) is refused before anything listens`, async () => {
    await assert.rejects(
      startCluster(options),
      (err: unknown) =>
        err instanceof LinkerError && err.code === 'ESDBL_EMULATOR_BAD_OPTION' && message.test(err.message),
    );
  });
}

test('node controls name the node that does not exist', async (t) => {
  const cluster = await startCluster({ nodes: 1, electionMs: 0 });
  t.after(() => cluster.stop());
  assert.equal(cluster.nodes.length, 1);
  assert.equal(cluster.leader()?.index, 0);
  assert.throws(() => cluster.resignNode(3), /nodes 0 to 0, got node 3/);
  await assert.rejects(cluster.restartNode(0), /can only restart once shut down \(it is Leader\)/);
  // A one-node cluster re-elects its only member after a resignation.
  assert.equal((await cluster.resignLeader()).index, 0);
});
