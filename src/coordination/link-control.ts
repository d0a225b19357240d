import { randomUUID } from 'node:crypto';
import { EventStoreDBClient, type Position } from '@eventstore/db-client';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/config-types.js';
import { LinkerError } from '../shared/errors.js';
import { CLUSTER_NOT_CONFIGURED, CLUSTER_REQUEST_SUPERSEDED, CLUSTER_REQUEST_TIMEOUT } from './coordination-errors.js';
import type { CoordinationStore, MemberRecord } from './coordination-store.js';
import { createStore } from './create-store.js';
import { isLeaseRecord } from './lease-record.js';
import { intentOf, type LinkIntent } from './link-intent.js';
import { UNKNOWN_LINK } from '../tools/link-target.js';
import { MemberTracker } from './member-tracker.js';
import { monotonicClock, type MonotonicClock } from './monotonic-clock.js';
import { withDeadline } from './with-deadline.js';

export interface IntentOutcome {
  /** The member that confirmed it applied the request; null when no member holds the link right now. */
  owner: string | null;
}

export interface CheckpointOutcome extends IntentOutcome {
  /** The checkpoint the owner replaced, as it reported it; null while not applied yet. */
  was: string | null;
}

export interface ControlOptions {
  config: ResolvedConfig;
  link: string;
  /** The whole request's bound: store the request and wait for the owner to confirm it. */
  timeoutMs: number;
  logger: Logger;
  /** For tests. */
  store?: CoordinationStore;
  clock?: MonotonicClock;
}

const POLL_MS = 200;

/** A link's pause or resume, applied by its owner (see `sendRequest`). */
export function sendLinkIntent(options: ControlOptions & { paused: boolean }): Promise<IntentOutcome> {
  const { link, paused } = options;
  return sendRequest(
    options,
    'link pause/resume',
    (intent) => ({ ...intent, paused }),
    async (step) => {
      for (;;) {
        // A dead member's last record may still list the link: any listed member confirming is the owner.
        const listed = await step.owners();
        if (listed.length === 0) return { owner: null };
        const confirmed = listed.find((m) => (m.paused ?? []).includes(link) === paused);
        if (confirmed) return { owner: confirmed.id };
        await step.wait(listed.map((m) => m.id));
      }
    },
  );
}

/**
 * A checkpoint to write for a link of a running cluster. The owner drains the link, writes it, marks the
 * request applied on the coordinator and starts the link from it; with no owner, the next one applies it
 * before starting the link. A newer request replaces an older one that was not applied yet.
 */
export function sendCheckpointRequest(options: ControlOptions & { position: Position }): Promise<CheckpointOutcome> {
  const { link, position } = options;
  const id = randomUUID();
  const request = {
    id,
    commit: position.commit.toString(),
    prepare: position.prepare.toString(),
    requestedAt: new Date().toISOString(),
  };
  return sendRequest(
    options,
    'checkpoint set/reset',
    (intent) => ({ ...intent, checkpoint: request }),
    async (step) => {
      for (;;) {
        const current = intentOf((await step.intent())?.value).checkpoint;
        if (current?.id !== id) {
          throw new LinkerError(
            CLUSTER_REQUEST_SUPERSEDED,
            `another checkpoint request for link ${link} replaced this one before it was applied`,
          );
        }
        if (current.applied) return { owner: current.applied.by, was: current.applied.was };
        const listed = await step.owners();
        if (listed.length === 0) return { owner: null, was: null };
        await step.wait(listed.map((m) => m.id));
      }
    },
  );
}

interface RequestStep {
  /**
   * Live members whose record lists the link. A member whose heartbeat stays unchanged for a lease TTL (as
   * this process sees it) is dead, so a crashed owner's last record does not hold the request up forever.
   */
  owners(): Promise<MemberRecord[]>;
  intent(): ReturnType<CoordinationStore['getIntent']>;
  /** Sleeps before the next poll, or fails with the request timeout naming the owners that did not answer. */
  wait(owners: string[]): Promise<void>;
}

/**
 * Stores a link's request on the cluster's coordinator, wakes the members, and waits for the link's owner
 * to confirm it. Requests are durable: a link with no owner, or whose owner dies, gets it from its next
 * owner. Every step is bounded by `timeoutMs`.
 */
async function sendRequest<T>(
  options: ControlOptions,
  what: string,
  update: (intent: LinkIntent) => LinkIntent,
  confirm: (step: RequestStep) => Promise<T>,
): Promise<T> {
  const { config, link } = options;
  const settings = config.cluster;
  if (!settings) {
    throw new LinkerError(
      CLUSTER_NOT_CONFIGURED,
      `this config has no cluster section: ${what} through the cluster needs one (a single daemon has no coordinator)`,
    );
  }
  if (!config.links.some((l) => l.name === link)) {
    throw new LinkerError(
      UNKNOWN_LINK,
      `no link named "${link}" in the config; links are: ${config.links.map((l) => l.name).join(', ')}`,
    );
  }
  const clock = options.clock ?? monotonicClock;
  let client: EventStoreDBClient | undefined;
  const store =
    options.store ??
    createStore(
      settings,
      (name) => {
        const node = config.nodes.find((n) => n.name === name);
        client = EventStoreDBClient.connectionString(node?.connectionString ?? '');
        return client;
      },
      options.logger,
    );
  const tracker = new MemberTracker(clock, settings.leaseTtlMs);
  const started = clock.now();
  const left = () => Math.max(1, options.timeoutMs - (clock.now() - started));
  try {
    // Read, change one part, write back: pause and checkpoint requests share the record.
    const before = await withDeadline(clock, left(), 'reading the intent', () => store.getIntent(link));
    await withDeadline(clock, left(), 'storing the request', () =>
      store.putIntent(link, update(intentOf(before?.value))),
    );
    await withDeadline(clock, left(), 'waking the members', () =>
      store.publish({ from: `cli-${process.pid}`, type: 'intent', link }),
    );
    return await confirm({
      owners: async () => {
        tracker.observe(await withDeadline(clock, left(), 'reading the members', () => store.members()));
        // A member lists a link it just took only from its next heartbeat; the lease names it at once.
        const lease = await withDeadline(clock, left(), 'reading the lease', () => store.getLease(link));
        const holder = isLeaseRecord(lease?.value) ? lease.value.holder : null;
        return tracker
          .live()
          .map((m) => m.record)
          .filter((m) => m.links.includes(link) || m.id === holder);
      },
      intent: () => withDeadline(clock, left(), 'reading the intent', () => store.getIntent(link)),
      wait: async (owners) => {
        if (left() <= POLL_MS) {
          throw new LinkerError(
            CLUSTER_REQUEST_TIMEOUT,
            `no owner of link ${link} (${owners.join(', ')}) confirmed within ${options.timeoutMs} ms; ` +
              'the request is stored and its owner (or the next one) applies it',
          );
        }
        await clock.sleep(POLL_MS);
      },
    });
  } finally {
    if (!options.store) await store.close();
    await client?.dispose();
  }
}
