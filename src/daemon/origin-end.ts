import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import type { Logger } from 'pino';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';
import { accessFailure } from '../link/recovery/access-errors.js';
import { RUN_ORIGIN_UNREACHABLE } from './daemon-errors.js';

export interface AllPosition {
  commit: bigint;
  prepare: bigint;
}

/**
 * The position of the last event in a node's `$all` (null for an empty log): what `--until-caught-up`
 * must copy. It includes system and filtered events on purpose: a link's checkpoint passes them too
 * (server-side filter checkpoints), and reading the raw end needs no knowledge of the link's filters.
 */
export async function readAllEnd(client: EventStoreDBClient): Promise<AllPosition | null> {
  let end: AllPosition | null = null;
  // The read is consumed to its end (one event): leaving a client stream early can keep dispose() waiting.
  for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
    const position = resolved.event?.position ?? resolved.link?.position;
    if (position) end = { commit: position.commit, prepare: position.prepare };
  }
  return end;
}

/**
 * `readAllEnd` retried with capped exponential backoff while the node is unreachable (each failure is
 * logged with the node's redacted address) until `signal` aborts, which rejects with its reason.
 */
export async function readAllEndWithRetry(options: {
  client: EventStoreDBClient;
  node: string;
  redactedConnectionString: string;
  /** The user the node's connection authenticates as (for access errors); undefined: anonymous. */
  user?: string | undefined;
  logger: Logger;
  clock: Clock;
  signal: AbortSignal;
  initialDelayMs?: number;
  maxDelayMs?: number;
}): Promise<AllPosition | null> {
  const { logger, clock, signal } = options;
  let delay = options.initialDelayMs ?? 250;
  const maxDelay = options.maxDelayMs ?? 10_000;
  for (let attempt = 1; ; attempt++) {
    signal.throwIfAborted();
    try {
      return await readAllEnd(options.client);
    } catch (err) {
      signal.throwIfAborted();
      // Credentials or ACLs: retrying cannot help, and a run that waited here would look hung.
      const access = accessFailure(
        err,
        { link: undefined, nodeFor: () => ({ name: options.node, user: options.user }) },
        { side: 'origin', action: 'read', stream: '$all' },
      );
      if (access) throw access;
      logger.warn(
        {
          code: RUN_ORIGIN_UNREACHABLE,
          node: options.node,
          connectionString: options.redactedConnectionString,
          attempt,
          retryInMs: delay,
        },
        `cannot read the end of $all on node ${options.node} (${options.redactedConnectionString}): ${redactText(errorMessage(err))}; retrying`,
      );
      await clock.sleep(delay * (0.5 + Math.random() / 2), signal);
      delay = Math.min(maxDelay, delay * 2);
    }
  }
}
