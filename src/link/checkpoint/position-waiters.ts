import type { Position } from '@eventstore/db-client';
import { comparePositions } from './position.js';

interface Waiter {
  position: Position;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Callers of `waitForPosition`: each waits until the link says everything it must copy up to a position
 * is acknowledged. The link owns the judgement (`settle`); this owns the promises and their abort signals.
 */
export class PositionWaiters {
  private readonly waiters = new Set<Waiter>();

  get size(): number {
    return this.waiters.size;
  }

  /** Settles when `settle` next finds `position` done, or rejects on `rejectAll` or the signal. */
  add(position: Position, signal: AbortSignal | undefined, settleNow: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => waiter.reject(signal?.reason);
      const waiter: Waiter = {
        position,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          this.waiters.delete(waiter);
          reject(err);
        },
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
      settleNow();
    });
  }

  /** Resolves every waiter whose position `isDone` accepts. */
  settle(isDone: (position: Position) => boolean): void {
    for (const w of [...this.waiters]) if (isDone(w.position)) w.resolve();
  }

  /** The furthest position anyone waits for (undefined when nobody waits). */
  furthest(): Position | undefined {
    let target: Position | undefined;
    for (const w of this.waiters) if (!target || comparePositions(w.position, target) > 0) target = w.position;
    return target;
  }

  rejectAll(err: unknown): void {
    for (const w of [...this.waiters]) w.reject(err);
  }
}
