import type { Logger } from 'pino';
import type { LinkStatus } from '../link/link-status.js';
import type { Clock } from '../shared/clock.js';
import { formatDuration, formatProgressLine, type CatchUpProgress } from './catch-up-progress.js';

export interface ProgressReporterOptions {
  progress: CatchUpProgress;
  statuses: () => LinkStatus[];
  clock: Clock;
  logger: Logger;
  /** A live bar is drawn here when it is a TTY; otherwise progress goes to the log. */
  stream: NodeJS.WriteStream;
  signal: AbortSignal;
  /** @defaultValue 250 ms on a TTY, 5000 ms in logs */
  intervalMs?: number;
}

/**
 * Reports catch-up progress until `signal` aborts: a redrawn bar on a terminal, a log line every few
 * seconds otherwise (a log collector must not receive carriage-return animations).
 */
export async function reportProgress(options: ProgressReporterOptions): Promise<void> {
  const tty = options.stream.isTTY === true;
  const interval = options.intervalMs ?? (tty ? 250 : 5_000);
  const { clock, signal } = options;
  let drawn = false;
  try {
    while (!signal.aborted) {
      try {
        await clock.sleep(interval, signal);
      } catch {
        break;
      }
      const p = options.progress.update(options.statuses(), clock.now());
      if (tty) {
        options.stream.write(`\r\x1b[2K${formatProgressLine(p)}`);
        drawn = true;
      } else {
        options.logger.info(
          {
            percent: Number((p.fraction * 100).toFixed(1)),
            eventsReplicated: p.eventsReplicated,
            estimatedTotalEvents: p.estimatedTotalEvents,
            eventsPerSecond: Math.round(p.rate),
            etaSeconds: p.etaSeconds === null ? null : Math.round(p.etaSeconds),
            linksCaughtUp: p.linksDone,
            links: p.links,
          },
          `catch-up ${(p.fraction * 100).toFixed(1)}%: ${p.eventsReplicated} events, ${Math.round(p.rate)} ev/s, ETA ${formatDuration(p.etaSeconds)}`,
        );
      }
    }
  } finally {
    if (drawn) options.stream.write('\r\x1b[2K');
  }
}
