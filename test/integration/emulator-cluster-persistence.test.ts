// An emulated cluster with a data directory keeps one log for all its nodes: a restarted cluster serves every
// acknowledged event at the same positions on every node, and its epochs continue where they stopped.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EventStoreDBClient, START, jsonEvent } from '@eventstore/db-client';
import { startCluster } from '../../src/emulator/index.js';
import { LinkerError } from '../../src/shared/errors.js';
import { collect } from '../helpers/conformance-server.js';

async function epochs(cs: string): Promise<number[]> {
  const client = EventStoreDBClient.connectionString(cs);
  try {
    const all = await collect(client.readAll({ fromPosition: START }));
    return all
      .filter((e) => e.event?.streamId === '$epoch-information')
      .map((e) => (e.event!.data as { epochNumber: number }).epochNumber);
  } finally {
    await client.dispose();
  }
}

test('a cluster on --data restarts with its events, the same positions on every node, and continuing epochs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-linker-cluster-data-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stream = `persist-${randomUUID()}`;

  const first = await startCluster({ nodes: 3, dataDir: dir, electionMs: 50 });
  try {
    // The data directory is locked while the cluster runs.
    await assert.rejects(
      startCluster({ nodes: 3, dataDir: dir }),
      (err: unknown) => err instanceof LinkerError && err.code === 'ESDBL_EMULATOR_DATA_DIR',
    );
    const client = EventStoreDBClient.connectionString(first.connectionString);
    try {
      await client.appendToStream(
        stream,
        [1, 2, 3].map((n) => jsonEvent({ type: 'P', data: { n } })),
      );
    } finally {
      await client.dispose();
    }
    await first.resignLeader();
    assert.deepEqual(await epochs(first.connectionString), [0, 1]);
  } finally {
    await first.stop();
  }

  const second = await startCluster({ nodes: 3, dataDir: dir });
  t.after(() => second.stop());
  assert.deepEqual(await epochs(second.connectionString), [0, 1, 2]);
  const views: string[][] = [];
  for (const node of second.nodes) {
    const client = EventStoreDBClient.connectionString(node.connectionString);
    try {
      const events = await collect(client.readStream(stream));
      views.push(events.map((e) => `${e.event!.revision}@${e.event!.position!.commit}`));
    } finally {
      await client.dispose();
    }
  }
  assert.equal(views[0]!.length, 3);
  for (const v of views) assert.deepEqual(v, views[0]);
});

test('a secure cluster on --data keeps its CA, its node certificate and its $settings ACLs across a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-linker-secure-cluster-data-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const stream = `persist-secure-${randomUUID()}`;
  // A bad certificate option fails before the log opens, so it leaves no lock behind.
  await assert.rejects(
    startCluster({ nodes: 3, dataDir: dir, secure: { certFile: join(dir, 'missing.crt') } }),
    (err: unknown) => err instanceof LinkerError && err.code === 'ESDBL_EMULATOR_BAD_OPTION',
  );

  const first = await startCluster({ nodes: 3, dataDir: dir, secure: true });
  let caBefore: string;
  try {
    caBefore = readFileSync(first.security!.caFile, 'utf8');
    assert.equal(first.security!.caFile, join(dir, 'certs', 'ca.crt'));
    const admin = EventStoreDBClient.connectionString(first.connectionString);
    try {
      await admin.appendToStream(stream, jsonEvent({ type: 'P', data: {} }));
      // $ops may read $-streams and $all from now on (stored in the log like any event).
      await admin.appendToStream(
        '$settings',
        jsonEvent({
          type: 'settings',
          data: {
            $userStreamAcl: { $r: '$all', $w: '$all', $d: '$all', $mr: '$all', $mw: '$all' },
            $systemStreamAcl: { $r: ['$admins', '$ops'], $w: '$admins', $d: '$admins', $mr: '$admins', $mw: '$admins' },
          },
        }),
      );
    } finally {
      await admin.dispose();
    }
  } finally {
    await first.stop();
  }

  const second = await startCluster({ nodes: 3, dataDir: dir, secure: true });
  t.after(() => second.stop());
  assert.equal(readFileSync(second.security!.caFile, 'utf8'), caBefore, 'the same CA');
  for (const node of second.nodes) {
    const ops = EventStoreDBClient.connectionString(node.connectionString.replace(/\/\/[^@]*@/, '//ops:changeit@'));
    try {
      const all = await collect(ops.readAll({ fromPosition: START }));
      assert.ok(
        all.some((e) => e.event?.streamId === stream),
        `ops reads $all on node ${node.index} after the restart`,
      );
    } finally {
      await ops.dispose();
    }
  }
});
