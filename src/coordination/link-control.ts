import { EventStoreDBClient } from '@eventstore/db-client';
import type { Logger } from 'pino';
import type { ResolvedConfig } from '../config/config-types.js';
import { LinkerError } from '../shared/errors.js';
import { CLUSTER_NOT_CONFIGURED, CLUSTER_REQUEST_TIMEOUT } from './coordination-errors.js';
import type { CoordinationStore } from './coordination-store.js';
import { createStore } from './create-store.js';
import type { LinkIntent } from './link-intent.js';
import { UNKNOWN_LINK } from '../tools/link-target.js';
import { monotonicClock, type MonotonicClock } from './monotonic-clock.js';
import { withDeadline } from './with-deadline.js';

export interface IntentOutcome {
  /** The member that confirmed it applied the intent; null when no member holds the link right now. */
  owner: string | null;
}

export interface SendIntentOptions {
  config: ResolvedConfig;
  link: string;
  intent: LinkIntent;
  /** The whole request's bound: store the intent and wait for the owner to confirm it. */
  timeoutMs: number;
  logger: Logger;
  /** For tests. */
  store?: CoordinationStore;
  clock?: MonotonicClock;
}

const POLL_MS = 200;

/**
 * Stores a link's intent (pause, resume) on the cluster's coordinator, wakes the members, and waits for the
 * link's owner to confirm it applied it (in its heartbeat). The intent is durable: a link with no owner, or
 * whose owner dies, gets it from its next owner. Every step is bounded by `timeoutMs`.
 */
export async function sendLinkIntent(options: SendIntentOptions): Promise<IntentOutcome> {
  const { config, link, intent } = options;
  const settings = config.cluster;
  if (!settings) {
    throw new LinkerError(
      CLUSTER_NOT_CONFIGURED,
      'this config has no cluster section: link pause/resume needs a cluster (a single daemon has no coordinator)',
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
  const started = clock.now();
  const left = () => Math.max(1, options.timeoutMs - (clock.now() - started));
  try {
    await withDeadline(clock, left(), 'storing the intent', () => store.putIntent(link, intent));
    await withDeadline(clock, left(), 'waking the members', () =>
      store.publish({ from: `cli-${process.pid}`, type: 'intent', link }),
    );
    for (;;) {
      const members = await withDeadline(clock, left(), 'reading the members', () => store.members());
      // A dead member's last record may still list the link: any listed member confirming is the owner.
      const listed = members.filter((m) => !m.left && m.links.includes(link));
      if (listed.length === 0) return { owner: null };
      const confirmed = listed.find((m) => (m.paused ?? []).includes(link) === intent.paused);
      if (confirmed) return { owner: confirmed.id };
      if (left() <= POLL_MS) {
        throw new LinkerError(
          CLUSTER_REQUEST_TIMEOUT,
          `no owner of link ${link} (${listed.map((m) => m.id).join(', ')}) confirmed within ${options.timeoutMs} ms; ` +
            'the intent is stored and its owner (or the next one) applies it',
        );
      }
      await clock.sleep(POLL_MS);
    }
  } finally {
    if (!options.store) await store.close();
    await client?.dispose();
  }
}
