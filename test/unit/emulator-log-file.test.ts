import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { silentLogger } from '../../src/observability/logger.js';
import { LOCK_FILE_NAME } from '../../src/emulator/persistence/data-dir-lock.js';
import { LOG_FILE_NAME, openLogFile } from '../../src/emulator/persistence/log-file.js';
import { EventStore } from '../../src/emulator/store/event-store.js';
import { MAX_LONG, type ProposedEvent } from '../../src/emulator/store/types.js';
import { isLinkerError } from '../../src/shared/errors.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'esdb-emu-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function ev(n: number): ProposedEvent {
  return {
    eventId: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    eventType: 'Thing',
    contentType: 'application/json',
    data: Buffer.from(JSON.stringify({ n, text: 'é€' })),
    metadata: Buffer.from('{"m":true}'),
  };
}

function openStore(dir: string): { store: EventStore; close: () => void } {
  const opened = openLogFile(dir, silentLogger());
  const store = new EventStore({ journal: opened.journal, now: Date.now });
  store.load(opened.records);
  return { store, close: () => opened.journal.close() };
}

describe('emulator log file', () => {
  it('recovers events, metadata, deletes and tombstones with their positions and revisions', (t) => {
    const dir = tempDir(t);
    const first = openStore(dir);
    first.store.append('a', { kind: 'no_stream' }, [ev(1), ev(2)]);
    first.store.softDelete('a', { kind: 'any' });
    first.store.append('a', { kind: 'any' }, [ev(3)]);
    first.store.append('b', { kind: 'any' }, [ev(4)]);
    first.store.tombstone('b', { kind: 'any' });
    const before = first.store.log.slice();
    first.close();

    const second = openStore(dir);
    t.after(second.close);
    assert.deepEqual(second.store.log.slice(), before);
    assert.equal(second.store.isTombstoned('b'), true);
    assert.equal(second.store.stream('b')?.tombstone?.revision, MAX_LONG);
    const next = second.store.append('a', { kind: 'any' }, [ev(5)]);
    assert.equal(next.kind === 'success' && next.currentRevision, 3n);
    const last = before.at(-1);
    assert.ok(last && (second.store.lastPosition ?? 0) > last.position, 'positions continue after the old end');
    const retry = second.store.append('a', { kind: 'revision', revision: 1n }, [ev(3)]);
    assert.equal(retry.kind === 'success' && retry.currentRevision, 2n, 'idempotency survives a restart');
  });

  it('drops a torn last commit on open and keeps appending after it', (t) => {
    const dir = tempDir(t);
    const first = openStore(dir);
    first.store.append('s', { kind: 'any' }, [ev(1)]);
    first.store.append('s', { kind: 'any' }, [ev(2), ev(3)]);
    first.close();
    const path = join(dir, LOG_FILE_NAME);
    const full = statSync(path).size;
    truncateSync(path, full - 7);

    const second = openStore(dir);
    assert.deepEqual(
      second.store.log.slice().map((r) => r.revision),
      [0n],
      'the half-written two-event commit is gone as a whole',
    );
    second.store.append('s', { kind: 'revision', revision: 0n }, [ev(9)]);
    second.close();

    appendFileSync(path, Buffer.from([1, 2, 3]));
    const third = openStore(dir);
    t.after(third.close);
    assert.deepEqual(
      third.store.log.slice().map((r) => r.revision),
      [0n, 1n],
    );
  });

  it('refuses a file that is not an emulator log', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, LOG_FILE_NAME), 'hello world, not a log');
    assert.throws(
      () => openLogFile(dir, silentLogger()),
      (err: unknown) => isLinkerError(err, 'ESDBL_EMULATOR_DATA_DIR'),
    );
    assert.equal(readFileSync(join(dir, LOG_FILE_NAME), 'utf8'), 'hello world, not a log');
  });

  it('lets one emulator at a time use a data directory, and takes over the lock of a dead process', (t) => {
    const dir = tempDir(t);
    const first = openLogFile(dir, silentLogger());
    assert.throws(
      () => openLogFile(dir, silentLogger()),
      (err: unknown) => isLinkerError(err, 'ESDBL_EMULATOR_DATA_DIR') && /in use by process/.test(err.message),
    );
    first.journal.close();
    assert.equal(existsSync(join(dir, LOCK_FILE_NAME)), false, 'a clean close releases the lock');

    const dead = spawnSync(process.execPath, ['-e', '']);
    assert.ok(dead.pid && dead.pid > 0);
    writeFileSync(join(dir, LOCK_FILE_NAME), `${dead.pid}\n`);
    const second = openLogFile(dir, silentLogger());
    t.after(() => second.journal.close());
    assert.equal(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8').trim(), String(process.pid));
  });
});
