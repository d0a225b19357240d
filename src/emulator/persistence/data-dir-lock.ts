import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LinkerError } from '../../shared/errors.js';

export const LOCK_FILE_NAME = 'emulator.lock';

/**
 * Claims a data directory for one emulator: two writers appending to one log would interleave frames and
 * corrupt it. The lock file holds the owner's pid; a lock left by a dead process (kill -9) is taken over.
 * Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE_NAME);
  let owner: number | undefined;
  try {
    owner = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  } catch {
    owner = undefined;
  }
  if (owner !== undefined && Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
    throw new LinkerError(
      'ESDBL_EMULATOR_DATA_DIR',
      `emulator data directory ${dir} is in use by process ${owner}${owner === process.pid ? ' (this process)' : ''}`,
    );
  }
  writeFileSync(path, `${process.pid}\n`);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    rmSync(path, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
