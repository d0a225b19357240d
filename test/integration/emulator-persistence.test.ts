import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  END,
  EventStoreDBClient,
  jsonEvent,
  NO_STREAM,
  BACKWARDS,
  StreamDeletedError,
  StreamNotFoundError,
  type ResolvedEvent,
} from '@eventstore/db-client';

const BIN = fileURLToPath(new URL('../../../bin/esdb-linker.js', import.meta.url));

interface Running {
  child: ChildProcess;
  connectionString: string;
  exited: Promise<void>;
}

/** Starts `esdb-linker emulator --port 0 --data DIR` and waits for its ready line. */
async function startProcess(t: TestContext, dataDir: string): Promise<Running> {
  const child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--data', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  let output = '';
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const connectionString = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
      const m = /esdb:\/\/\S+\?tls=false/.exec(output);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`emulator exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, connectionString, exited };
}

async function readAllOf(client: EventStoreDBClient): Promise<ResolvedEvent[]> {
  const out: ResolvedEvent[] = [];
  for await (const e of client.readAll()) out.push(e);
  return out;
}

async function readStreamOf(client: EventStoreDBClient, stream: string): Promise<ResolvedEvent[]> {
  const out: ResolvedEvent[] = [];
  for await (const e of client.readStream(stream)) out.push(e);
  return out;
}

const summary = (events: ResolvedEvent[]): string[] =>
  events.map(
    (e) => `${e.event?.streamId}@${e.event?.revision}#${e.event?.id}:${e.event?.position?.commit}:${e.event?.type}`,
  );

describe('emulator persistence (child process, kill -9, restart)', () => {
  it('keeps every acknowledged write across kill -9 and continues at the right revision and position', async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'esdb-emu-persist-'));
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const prefix = `p-${randomUUID()}`;
    const kept = `${prefix}-kept`;
    const soft = `${prefix}-soft`;
    const hard = `${prefix}-hard`;

    const first = await startProcess(t, dataDir);
    const client1 = EventStoreDBClient.connectionString(first.connectionString);
    t.after(() => client1.dispose());
    await client1.appendToStream(
      kept,
      [jsonEvent({ type: 'A', data: { n: 1 } }), jsonEvent({ type: 'B', data: { n: 2 } })],
      {
        expectedRevision: NO_STREAM,
      },
    );
    await client1.setStreamMetadata(kept, { maxCount: 50, custom: 'survives' });
    await client1.appendToStream(soft, [jsonEvent({ type: 'S', data: {} })]);
    await client1.deleteStream(soft);
    await client1.appendToStream(hard, [jsonEvent({ type: 'H', data: {} })]);
    await client1.tombstoneStream(hard);

    // A burst of concurrent appends, killed part-way: whatever was acknowledged must survive.
    const acked: { stream: string; revision: bigint; id: string }[] = [];
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      const stream = `${prefix}-burst-${w}`;
      for (let i = 0; !stop; i++) {
        const event = jsonEvent({ type: 'Burst', data: { w, i } });
        try {
          const result = await client1.appendToStream(stream, [event]);
          acked.push({ stream, revision: result.nextExpectedRevision, id: event.id });
        } catch {
          return;
        }
      }
    });
    while (acked.length < 40) await new Promise((resolve) => setTimeout(resolve, 5));
    first.child.kill('SIGKILL');
    await first.exited;
    stop = true;
    await Promise.all(writers);
    const ackedAtKill = [...acked];

    const second = await startProcess(t, dataDir);
    const client2 = EventStoreDBClient.connectionString(second.connectionString);
    t.after(() => client2.dispose());

    for (const a of ackedAtKill) {
      const events = await readStreamOf(client2, a.stream);
      const found = events.find((e) => e.event?.revision === a.revision);
      assert.equal(found?.event?.id, a.id, `acknowledged ${a.stream}@${a.revision} survived`);
    }
    const keptEvents = await readStreamOf(client2, kept);
    assert.deepEqual(
      keptEvents.map((e) => [e.event?.revision, e.event?.type, e.event?.data]),
      [
        [0n, 'A', { n: 1 }],
        [1n, 'B', { n: 2 }],
      ],
    );
    const meta = await client2.getStreamMetadata(kept);
    assert.deepEqual(meta.metadata, { maxCount: 50, custom: 'survives' });
    await assert.rejects(readStreamOf(client2, soft), StreamNotFoundError);
    await assert.rejects(readStreamOf(client2, hard), StreamDeletedError);

    const before = await readAllOf(client2);
    const lastBefore = before.at(-1)?.event?.position?.commit ?? 0n;
    const next = await client2.appendToStream(kept, [jsonEvent({ type: 'C', data: { n: 3 } })], {
      expectedRevision: 1n,
    });
    assert.equal(next.nextExpectedRevision, 2n);
    assert.ok((next.position?.commit ?? 0n) > lastBefore, 'positions continue after the recovered end');
    const recreated = await client2.appendToStream(soft, [jsonEvent({ type: 'S2', data: {} })], {
      expectedRevision: NO_STREAM,
    });
    assert.equal(recreated.nextExpectedRevision, 1n, 'the soft-deleted stream continues its numbering');

    // A clean stop and a third start see exactly the same log.
    const afterSecond = summary(await readAllOf(client2));
    second.child.kill('SIGTERM');
    await second.exited;
    assert.equal(second.child.exitCode, 0);
    const third = await startProcess(t, dataDir);
    const client3 = EventStoreDBClient.connectionString(third.connectionString);
    t.after(() => client3.dispose());
    assert.deepEqual(summary(await readAllOf(client3)), afterSecond);
    const newest: string[] = [];
    for await (const e of client3.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 2 })) {
      newest.push(`${e.event?.streamId}:${e.event?.type}`);
    }
    assert.deepEqual(newest, [`$$${soft}:$metadata`, `${soft}:S2`], 'the recreate and its undelete metadata are last');
  });
});
