import { isIP } from 'node:net';
import { connectionHosts } from '../../config/connection-string.js';
import type { ReaderThread } from '../link-options.js';

export interface ReaderPlacement {
  thread: 'main' | 'worker';
  /** Why, for the start-up log. */
  reason: string;
}

/** `localhost`, 127.0.0.0/8 and ::1 (an IPv4-mapped ::ffff:127.x too). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(h) === 6 && /^(0*:)*0*1$|^::1$/.test(h);
}

/**
 * Where a link reads its origin's `$all`. A worker thread decodes the subscription on a second core, which
 * raises what one link can copy when this process has cores to itself; handing every event across threads
 * costs about a fifth more CPU per event (bench: link process 37-46 against 24-35 µs per event, same run).
 * When the origin runs on this machine, the server competes for the same cores, so the cheaper main-thread
 * reader copies as fast or faster and leaves the server more CPU; `auto` picks it then.
 */
export function placeReader(setting: ReaderThread, originConnectionString: string | undefined): ReaderPlacement {
  if (originConnectionString === undefined) {
    return { thread: 'main', reason: 'no origin connection string for a worker thread to connect with' };
  }
  if (setting === 'main') return { thread: 'main', reason: 'readerThread: main' };
  if (setting === 'worker') return { thread: 'worker', reason: 'readerThread: worker' };
  const hosts = connectionHosts(originConnectionString);
  if (hosts && hosts.length > 0 && hosts.every(isLoopbackHost)) {
    return { thread: 'main', reason: 'readerThread: auto, and the origin is on this machine (loopback)' };
  }
  return { thread: 'worker', reason: 'readerThread: auto, and the origin is another machine' };
}
