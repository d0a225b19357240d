import { LinkerError } from '../shared/errors.js';
import { CLUSTER_COORDINATOR_TIMEOUT } from './coordination-errors.js';
import type { MonotonicClock } from './monotonic-clock.js';

/**
 * Bounds one coordinator call: a call that outlives `ms` counts as failed (its outcome unknown), so a hung
 * coordinator can never keep a member believing it still holds a lease.
 */
export async function withDeadline<T>(
  clock: MonotonicClock,
  ms: number,
  what: string,
  op: () => Promise<T>,
): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      op(),
      clock.sleep(ms, timer.signal).then(
        () => {
          throw new LinkerError(CLUSTER_COORDINATOR_TIMEOUT, `${what}: no answer from the coordinator within ${ms} ms`);
        },
        () => new Promise<never>(() => undefined),
      ),
    ]);
  } finally {
    timer.abort();
  }
}
