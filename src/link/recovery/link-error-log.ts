import type { Logger } from 'pino';
import type { Clock } from '../../shared/clock.js';
import { errorMessage, isLinkerError } from '../../shared/errors.js';
import { redactText } from '../../shared/redact.js';
import type { LinkMetrics } from '../link-metrics.js';
import type { LinkErrorView } from '../link-status.js';
import { errorReason } from './error-kinds.js';
import type { RetryHooks } from './retry.js';

/**
 * A link's memory of trouble: how many retries, whether it is retrying now, and the last error, as the
 * status API shows them. Every retry loop of the link reports here, so one place logs and counts them.
 */
export class LinkErrorLog {
  retries = 0;
  retrying = false;
  lastError: LinkErrorView | null = null;

  constructor(
    private readonly deps: {
      clock: Clock;
      retry: { initialDelayMs: number; maxDelayMs: number };
      metrics: LinkMetrics;
      log: Logger;
    },
  ) {}

  /** Hooks for `withRetry` on destination calls. */
  hooks(): RetryHooks {
    return {
      clock: this.deps.clock,
      retry: this.deps.retry,
      onRetry: (err, delayMs) => this.noteRetry('destination', err, delayMs),
      onRecovered: () => this.noteRecovered(),
    };
  }

  noteRetry(where: string, err: unknown, delayMs: number): void {
    this.retries++;
    this.retrying = true;
    const reason = errorReason(err);
    this.deps.metrics.retry(reason);
    this.record(err);
    this.deps.log.warn(
      { where, reason, delayMs, err: redactText(errorMessage(err)) },
      `${where}: retrying in ${delayMs} ms`,
    );
  }

  noteRecovered(): void {
    if (!this.retrying) return;
    this.retrying = false;
    this.deps.log.info('recovered from the transient error');
  }

  record(err: unknown): void {
    const message = redactText(errorMessage(err));
    const at = new Date(this.deps.clock.now()).toISOString();
    this.lastError = isLinkerError(err)
      ? { code: err.code, message, at }
      : { code: 'ESDBL_LINK_TRANSIENT', message: `${errorReason(err)}${message ? `: ${message}` : ''}`, at };
  }
}
