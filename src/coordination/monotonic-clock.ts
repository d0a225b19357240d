import { setTimeout as delay } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';

/**
 * A clock that never jumps: lease expiry is judged on it, from when this process saw a record change, so
 * clocks of different machines are never compared (client-go's rule).
 */
export interface MonotonicClock {
  /** Milliseconds from an arbitrary origin; only differences mean anything. */
  now(): number;
  /** Resolves after `ms`, or rejects with `signal.reason` when the signal aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const monotonicClock: MonotonicClock = {
  now: () => performance.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, signal ? { signal } : undefined);
  },
};
