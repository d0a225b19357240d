import type { Logger } from 'pino';
import type { Clock } from '../shared/clock.js';
import { LinkerError, errorMessage, isLinkerError } from '../shared/errors.js';
import { CatchUpProgress } from './catch-up-progress.js';
import type { Daemon, LinkFailure } from './daemon.js';
import { readAllEndWithRetry, type AllPosition } from './origin-end.js';
import { reportProgress } from './progress-reporter.js';

export type CatchUpOutcome =
  | { kind: 'caught-up'; targets: Record<string, string | null> }
  | { kind: 'link-failed'; failure: LinkFailure }
  | { kind: 'aborted'; reason: unknown };

export interface CatchUpOptions {
  daemon: Daemon;
  logger: Logger;
  clock: Clock;
  /** Aborted on a signal or a timeout; the outcome is then `aborted` with the signal's reason. */
  signal: AbortSignal;
  /** Where the live progress bar goes when it is a TTY. */
  progressStream: NodeJS.WriteStream;
  progressIntervalMs?: number;
}

/**
 * One-off catch-up: read every origin's `$all` end position BEFORE the links start (what "everything the
 * origin held when the run started" means), start the daemon, and wait until each link's checkpoint has
 * passed its target. Events appended to an origin after the start are copied if they arrive in time, but
 * are not waited for. Does not stop the daemon: the caller drains it whatever the outcome.
 */
export async function runUntilCaughtUp(options: CatchUpOptions): Promise<CatchUpOutcome> {
  const { daemon, logger, clock } = options;
  const run = new AbortController();
  const onAbort = (): void => run.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  let failure: LinkFailure | undefined;
  const unsubscribe = daemon.onLinkFailure((f) => {
    failure ??= f;
    run.abort(f);
  });
  const progressAbort = new AbortController();
  let progressDone: Promise<void> | undefined;
  try {
    const targets = await readTargets(options, run.signal);
    if (run.signal.aborted) return outcomeOfAbort(run.signal, failure);
    await daemon.start();

    const progress = new CatchUpProgress();
    for (const [link, target] of targets) if (target) progress.track(link, target.commit);
    progressDone = reportProgress({
      progress,
      statuses: () => daemon.linkNames().flatMap((n) => maybe(daemon.linkStatus(n))),
      clock,
      logger,
      stream: options.progressStream,
      signal: progressAbort.signal,
      ...(options.progressIntervalMs === undefined ? {} : { intervalMs: options.progressIntervalMs }),
    });

    await Promise.all(
      [...targets].map(async ([link, target]) => {
        if (target === null) {
          logger.info({ link }, 'origin is empty: nothing to catch up');
          return;
        }
        await daemon.waitForLink(link, target, run.signal);
        progress.markDone(link);
        const s = daemon.linkStatus(link);
        logger.info(
          { link, eventsReplicated: s?.eventsReplicated, target: target.commit.toString() },
          'link caught up',
        );
      }),
    );
    if (run.signal.aborted) return outcomeOfAbort(run.signal, failure);
    return {
      kind: 'caught-up',
      targets: Object.fromEntries([...targets].map(([l, t]) => [l, t ? t.commit.toString() : null])),
    };
  } catch (err) {
    if (run.signal.aborted) return outcomeOfAbort(run.signal, failure);
    // waitForLink rejecting without an abort means the link failed (its start failed, or it halted).
    const f =
      failure ??
      daemon.failures()[0] ??
      (isLinkerError(err) && typeof err.details?.link === 'string'
        ? { link: err.details.link, code: err.code, message: err.message }
        : { link: '?', code: 'ESDBL_DAEMON_LINK_FAILED', message: errorMessage(err) });
    return { kind: 'link-failed', failure: f };
  } finally {
    progressAbort.abort();
    await progressDone;
    unsubscribe();
    options.signal.removeEventListener('abort', onAbort);
  }
}

function outcomeOfAbort(signal: AbortSignal, failure: LinkFailure | undefined): CatchUpOutcome {
  if (failure) return { kind: 'link-failed', failure };
  return { kind: 'aborted', reason: signal.reason };
}

function maybe<T>(v: T | undefined): T[] {
  return v === undefined ? [] : [v];
}

/** Reads each origin once, however many links share it. */
async function readTargets(options: CatchUpOptions, signal: AbortSignal): Promise<Map<string, AllPosition | null>> {
  const { daemon, logger, clock } = options;
  const byNode = new Map<string, Promise<AllPosition | null>>();
  const targets = new Map<string, AllPosition | null>();
  await Promise.all(
    daemon.linkNames().map(async (link) => {
      const origin = daemon.linkOptions(link).origin;
      let read = byNode.get(origin);
      if (!read) {
        read = readAllEndWithRetry({
          client: daemon.nodeClient(origin),
          node: origin,
          redactedConnectionString: daemon.redactedNode(origin),
          user: daemon.nodeUser(origin),
          logger,
          clock,
          signal,
        });
        byNode.set(origin, read);
      }
      const target = await read.catch((err: unknown) => {
        // Named after the first link that needed this origin, so the failure says which link cannot run.
        throw isLinkerError(err) && err.details?.link === undefined
          ? new LinkerError(err.code, `link ${link}: ${err.message}`, {
              cause: err.cause,
              details: { ...err.details, link },
            })
          : err;
      });
      targets.set(link, target);
      logger.info(
        {
          link,
          origin,
          target: target ? { commit: target.commit.toString(), prepare: target.prepare.toString() } : null,
        },
        'catch-up target: end of the origin $all at start',
      );
    }),
  );
  return new Map(daemon.linkNames().map((l) => [l, targets.get(l) ?? null]));
}
