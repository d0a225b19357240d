import type { Position } from '@eventstore/db-client';
import type { Logger } from 'pino';
import type { Clock } from '../../shared/clock.js';
import type { LinkMetrics } from '../link-metrics.js';
import { isAccessDenied } from '../recovery/access-errors.js';
import { withRetry, type RetryHooks } from '../recovery/retry.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { positionView, samePosition } from './position.js';

export interface CheckpointLoopDeps {
  store: CheckpointStore;
  /** The position below which every event is acknowledged by the destination (null: nothing yet). */
  watermark: () => Position | null;
  clock: Clock;
  intervalMs: number;
  /** Bounds the last write after a stop, which no longer has the link's signal. */
  maxDelayMs: number;
  hooks: () => RetryHooks;
  metrics: LinkMetrics;
  log: Logger;
  /** A write the destination refuses for good (access denied) fails the link. */
  fail(err: unknown): void;
  recordError(err: unknown): void;
}

/**
 * Writes the link's checkpoint every interval, on demand (caught up) and once at the end, one write at a
 * time and only when the watermark moved: a checkpoint never runs ahead of what the destination holds.
 */
export class CheckpointLoop {
  private lastWritten: Position | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CheckpointLoopDeps) {}

  /** The checkpoint the link started from (already stored). */
  started(position: Position | null): void {
    this.lastWritten = position;
  }

  /** Runs until either signal aborts: `work` ends the link, `reading` ends reading (a drain). */
  async run(work: AbortSignal, reading: AbortSignal): Promise<void> {
    while (!work.aborted && !reading.aborted) {
      try {
        await this.deps.clock.sleep(this.deps.intervalMs, reading);
      } catch {
        return;
      }
      this.queue(work);
      await this.chain;
    }
  }

  queue(signal: AbortSignal): void {
    this.chain = this.chain.then(() => this.write(signal));
  }

  /** After the link stopped: one more write, with a short budget of its own. */
  async final(): Promise<void> {
    await this.chain.catch(() => {});
    const budget = new AbortController();
    const timer = setTimeout(() => budget.abort(), Math.max(2_000, this.deps.maxDelayMs));
    try {
      await this.write(budget.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private async write(signal: AbortSignal): Promise<void> {
    const position = this.deps.watermark();
    if (!position || samePosition(position, this.lastWritten) || signal.aborted) return;
    try {
      await withRetry(() => this.deps.store.write(position), this.deps.hooks(), signal);
      this.lastWritten = position;
      this.deps.metrics.checkpoint(position.commit);
      this.deps.log.debug({ checkpoint: positionView(position) }, 'checkpoint written');
    } catch (err) {
      if (signal.aborted) return;
      if (isAccessDenied(err)) {
        this.deps.fail(err);
        return;
      }
      this.deps.recordError(err);
      this.deps.log.error({ err }, 'checkpoint write failed; retrying at the next interval');
    }
  }
}
