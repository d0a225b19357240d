import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { binaryEvent, jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import type { Emulator } from '../../src/emulator/emulator-api.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { ChildTracker, exitWithin, writeTempConfig } from '../helpers/daemon-process.js';
import { startNodes, uniqueName } from '../helpers/nodes.js';
import { compareStreams, readCheckpoint } from '../helpers/stream-compare.js';

const KILLS = 10;
const STREAMS = 40;

/** Appends random batches (1-20 events, 50 B - 20 KiB, JSON and binary) to random streams until aborted. */
async function writeUntil(client: EventStoreDBClient, streams: string[], signal: AbortSignal): Promise<number> {
  let appended = 0;
  while (!signal.aborted) {
    const stream = streams[randomInt(streams.length)]!;
    const events = Array.from({ length: 1 + randomInt(20) }, () => {
      const size = randomInt(10) === 0 ? 5_000 + randomInt(15_000) : 50 + randomInt(500);
      return randomInt(5) === 0
        ? binaryEvent({ id: randomUUID(), type: 'Blob', data: Buffer.alloc(size, randomInt(256)) })
        : jsonEvent({ id: randomUUID(), type: 'Changed', data: { at: Date.now(), pad: 'p'.repeat(size) } });
    });
    try {
      await client.appendToStream(stream, events);
      appended += events.length;
    } catch {
      // Injected faults hit the writer too; what was (or was not) written is compared at the end anyway.
      await delay(20);
    }
    await delay(2 + randomInt(8));
  }
  return appended;
}

type Fault = (origin: Emulator, destination: Emulator) => string;

const FAULTS: Fault[] = [
  (_o, d) => {
    d.faults.failNextAppends(5, 'unavailable');
    return 'destination: next 5 appends unavailable';
  },
  (_o, d) => {
    d.faults.dropConnections();
    return 'destination: connections dropped';
  },
  (o) => {
    o.faults.dropConnections();
    return 'origin: connections dropped';
  },
  (_o, d) => {
    d.faults.setAppendLatency(40);
    return 'destination: 40 ms append latency';
  },
  (o) => {
    o.faults.unavailableFor(600);
    return 'origin: unavailable for 600 ms';
  },
  (_o, d) => {
    d.faults.failNextAppends(3, 'deadline');
    return 'destination: next 3 appends deadline exceeded';
  },
];

test('chaos: repeated kill -9 of the daemon and injected faults lose and double nothing', async (t) => {
  const children = new ChildTracker();
  const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
  const writerStop = new AbortController();
  t.after(async () => {
    writerStop.abort();
    await children.killAll();
    await Promise.all([dc1!.stop(), dc2!.stop()]);
  });
  const origin = dc1!.client();
  const destination = dc2!.client();
  const link = uniqueName('chaos');
  const streams = Array.from({ length: STREAMS }, (_, i) => `${link}-stream-${i}`);
  const config = await writeTempConfig({
    nodes: [
      { name: 'dc1', connectionString: dc1!.connectionString },
      { name: 'dc2', connectionString: dc2!.connectionString },
    ],
    links: [
      {
        name: link,
        origin: 'dc1',
        destination: 'dc2',
        checkpointIntervalMs: 100,
        retry: { initialDelayMs: 20, maxDelayMs: 500 },
        filter: { includeStreamPrefixes: [`${link}-`] },
      },
    ],
    log: { level: 'info', format: 'json' },
    shutdownGraceMs: 5_000,
  });
  t.after(() => config.remove());

  const chaosStarted = Date.now();
  const writer = writeUntil(origin, streams, writerStop.signal);
  const faultLog: string[] = [];
  let killsWhileRunning = 0;
  for (let i = 0; i < KILLS; i++) {
    const daemon = children.spawn(['run', '--config', config.path]);
    // One kill in four lands during start-up (before or while the checkpoint is read); the rest while copying.
    if (randomInt(4) !== 0) {
      await daemon.waitForLog((l) => l.msg === 'running' || l.level === 'error', 30_000, 'the daemon running');
      killsWhileRunning++;
    }
    const lifetime = 100 + randomInt(1_500);
    if (dc1!.emulator && dc2!.emulator && i % 2 === 1) {
      await delay(randomInt(lifetime));
      faultLog.push(FAULTS[randomInt(FAULTS.length)]!(dc1!.emulator, dc2!.emulator));
      await delay(lifetime / 2);
      dc1!.emulator.faults.reset();
      dc2!.emulator.faults.reset();
    } else {
      await delay(lifetime);
    }
    daemon.kill('SIGKILL');
    const exit = await exitWithin(daemon, 10_000, `kill -9 #${i + 1}`);
    if (exit.signal !== 'SIGKILL') {
      // It exited on its own before the kill: that is a bug, show why.
      assert.fail(
        `daemon exited by itself (code ${exit.code}) before kill #${i + 1}\nstderr:\n${daemon.stderr()}\nstdout:\n${daemon.stdout().slice(-3000)}`,
      );
    }
  }
  writerStop.abort();
  const appended = await writer;
  assert.ok(appended > 0, 'the writer appended events during the chaos');
  t.diagnostic(
    `${KILLS} kills (${killsWhileRunning} after start-up), ${appended} events appended, faults: ${faultLog.join('; ')}`,
  );
  dc1!.emulator?.faults.reset();
  dc2!.emulator?.faults.reset();

  const finalStarted = Date.now();
  const final = children.spawn(['run', '--config', config.path, '--until-caught-up', '--timeout', '60s']);
  const exit = await exitWithin(final, 75_000, 'final --until-caught-up');
  assert.deepEqual(
    exit,
    { code: 0, signal: null },
    `faults: ${faultLog.join('; ')}\nstdout:\n${final.stdout().slice(-4000)}`,
  );

  t.diagnostic(`chaos phase ${finalStarted - chaosStarted} ms, final catch-up ${Date.now() - finalStarted} ms`);
  const differences = await compareStreams(origin, destination, streams);
  assert.deepEqual(differences, [], `faults injected: ${faultLog.join('; ')}`);
  // The project's verifier agrees, including content types, data bytes and stream metadata.
  const verified = await compareNodes(origin, destination, { includeStreamPrefixes: [`${link}-`] });
  assert.deepEqual(verified.differences, []);
  assert.ok(verified.equal && verified.eventsCompared > 0, 'compareNodes compared events and found them equal');
  assert.ok(await readCheckpoint(destination, link), 'checkpoint present');
});
