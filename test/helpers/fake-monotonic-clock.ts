import type { MonotonicClock } from '../../src/coordination/monotonic-clock.js';

interface Sleeper {
  at: number;
  resolve(): void;
}

/** A monotonic clock that moves only when the test advances it; sleepers wake in time order. */
export class FakeMonotonicClock implements MonotonicClock {
  private t = 1_000;
  private sleepers: Sleeper[] = [];

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    return new Promise((resolve, reject) => {
      // Like timers/promises: the abort listener goes once the sleep ends, so long-lived signals do not pile up.
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason as Error);
      };
      const sleeper: Sleeper = {
        at: this.t + ms,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sleepers.push(sleeper);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Moves time forward in `stepMs` steps, letting every woken task run (I/O turns included) after each. */
  async advance(ms: number, stepMs = 50, afterStep?: () => void): Promise<void> {
    const end = this.t + ms;
    while (this.t < end) {
      this.t = Math.min(end, this.t + stepMs);
      const due = this.sleepers.filter((s) => s.at <= this.t).sort((a, b) => a.at - b.at);
      this.sleepers = this.sleepers.filter((s) => s.at > this.t);
      for (const s of due) s.resolve();
      await flush();
      afterStep?.();
    }
  }
}

/** Lets pending promise chains and setImmediate callbacks run. */
export async function flush(turns = 6): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
