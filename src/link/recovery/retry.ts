import type { Clock } from '../../shared/clock.js';
import { LinkerError } from '../../shared/errors.js';
import { Backoff } from './backoff.js';
import { errorKind } from './error-kinds.js';

export interface RetryHooks {
  clock: Clock;
  retry: { initialDelayMs: number; maxDelayMs: number };
  /** Called before each wait with the error that caused it. */
  onRetry(err: unknown, delayMs: number): void;
  /** Called once the operation succeeds after at least one retry. */
  onRecovered(): void;
}

/** Runs `op` until it succeeds, retrying transient errors with backoff; other errors are thrown. */
export async function withRetry<T>(op: () => Promise<T>, hooks: RetryHooks, signal: AbortSignal): Promise<T> {
  const backoff = new Backoff(hooks.retry);
  for (;;) {
    signal.throwIfAborted();
    try {
      const result = await op();
      if (backoff.attempts > 0) hooks.onRecovered();
      return result;
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (errorKind(err) !== 'transient') throw err;
      const delay = backoff.nextDelayMs();
      hooks.onRetry(err, delay);
      await hooks.clock.sleep(delay, signal);
    }
  }
}

/**
 * Rejects when `promise` takes longer than `ms`. Some appends have no client-side deadline (BatchAppend
 * uses `Infinity`), and a destination that never answers must show up as a retry, not hang a lane forever.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new LinkerError('ESDBL_LINK_TIMEOUT', `${what} got no answer within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    // The abandoned call may still fail later; its outcome no longer matters.
    promise.catch(() => {});
  }
}
