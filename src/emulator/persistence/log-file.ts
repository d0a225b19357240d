import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { LinkerError } from '../../shared/errors.js';
import type { Journal } from '../store/journal.js';
import type { EventRecord } from '../store/types.js';
import { crc32 } from './crc32.js';
import { lockDataDir } from './data-dir-lock.js';
import { decodeCommit, encodeCommit } from './record-codec.js';

export const LOG_FILE_NAME = 'emulator.log';
const MAGIC = Buffer.from('ESDBEMU1', 'ascii');
const FRAME_HEADER = 8;

export interface OpenedLog {
  journal: Journal;
  records: EventRecord[];
}

/**
 * Opens (or creates) the append-only log in `dir`. File = magic, then one frame per commit:
 * u32 payload length, u32 CRC-32 of the payload, payload. A torn or corrupt tail (a crash mid-write)
 * is truncated away on open, so a commit is either wholly there or absent.
 *
 * Durability: each commit is handed to the OS with writeSync before the write is acknowledged, so it
 * survives the process being killed (kill -9). Without fsync it may not survive a power loss or kernel
 * crash. DEVIATION (documented): no fsync; the emulator is a test server and trades that for speed.
 */
export function openLogFile(dir: string, logger: Logger): OpenedLog {
  const path = join(dir, LOG_FILE_NAME);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new LinkerError('ESDBL_EMULATOR_DATA_DIR', `emulator cannot create ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const unlock = lockDataDir(dir);
  let fd: number;
  try {
    fd = openSync(path, 'a+');
  } catch (err) {
    unlock();
    throw new LinkerError(
      'ESDBL_EMULATOR_DATA_DIR',
      `emulator cannot open its log ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const content = fstatSync(fd).size === 0 ? Buffer.alloc(0) : readFileSync(path);
  const records: EventRecord[] = [];
  let good = 0;
  if (content.length === 0) {
    writeAll(fd, MAGIC);
    good = MAGIC.length;
  } else {
    if (content.length < MAGIC.length || !content.subarray(0, MAGIC.length).equals(MAGIC)) {
      closeSync(fd);
      unlock();
      throw new LinkerError('ESDBL_EMULATOR_DATA_DIR', `${path} is not an emulator log (bad header)`);
    }
    good = MAGIC.length;
    while (good + FRAME_HEADER <= content.length) {
      const len = content.readUInt32LE(good);
      const crc = content.readUInt32LE(good + 4);
      const end = good + FRAME_HEADER + len;
      if (end > content.length) break;
      const payload = content.subarray(good + FRAME_HEADER, end);
      if (crc32(payload) !== crc) break;
      let decoded: EventRecord[];
      try {
        decoded = decodeCommit(payload);
      } catch {
        break;
      }
      for (const r of decoded) records.push(r);
      good = end;
    }
    if (good < content.length) {
      logger.warn(
        { path, keptBytes: good, droppedBytes: content.length - good },
        'emulator log: truncating a torn or corrupt tail',
      );
      ftruncateSync(fd, good);
    }
  }
  let closed = false;
  let size = good;
  return {
    records,
    journal: {
      write(batch) {
        if (closed) throw new LinkerError('ESDBL_EMULATOR_STOPPED', 'emulator log is closed');
        const payload = encodeCommit(batch);
        const header = Buffer.allocUnsafe(FRAME_HEADER);
        header.writeUInt32LE(payload.length, 0);
        header.writeUInt32LE(crc32(payload), 4);
        const frame = Buffer.concat([header, payload]);
        try {
          writeAll(fd, frame);
        } catch (err) {
          // Undo a partial frame, or every later commit would sit behind a torn record and be lost on recovery.
          try {
            ftruncateSync(fd, size);
          } catch {
            // the original error is the one worth reporting
          }
          throw new LinkerError('ESDBL_EMULATOR_WRITE_FAILED', `emulator log write failed: ${(err as Error).message}`, {
            cause: err,
          });
        }
        size += frame.length;
      },
      close() {
        if (closed) return;
        closed = true;
        closeSync(fd);
        unlock();
      },
    },
  };
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
