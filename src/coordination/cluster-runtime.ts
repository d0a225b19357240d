import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Logger } from 'pino';
import type { ResolvedLinkOptions } from '../link/link-options.js';
import type { LinkStatus } from '../link/link-status.js';
import type { ClusterLinkStatus, ClusterView } from '../observability/status-types.js';
import { ClusterMember, type LinkRunner } from './cluster-member.js';
import type { ClusterSettings } from './cluster-settings.js';
import { clusterStatus } from './cluster-view.js';
import type { CoordinationStore } from './coordination-store.js';
import { createStore } from './create-store.js';
import { monotonicClock, type MonotonicClock } from './monotonic-clock.js';

export interface ClusterRuntimeOptions {
  settings: ClusterSettings;
  links: readonly ResolvedLinkOptions[];
  runner: LinkRunner;
  logger: Logger;
  nodeClient: (name: string) => EventStoreDBClient;
  url: () => string | null;
  /** Wall-clock time, only to render `lastSeen` in status. */
  now: () => number;
  /** For tests. */
  store?: CoordinationStore;
  clock?: MonotonicClock;
}

/**
 * What the daemon holds in cluster mode: the coordinator, this process's membership, the lease guard for
 * conflict records, and the cluster-wide status view.
 */
export class ClusterRuntime {
  readonly member: ClusterMember;
  private readonly store: CoordinationStore;

  constructor(private readonly options: ClusterRuntimeOptions) {
    this.store = options.store ?? createStore(options.settings, options.nodeClient, options.logger);
    this.member = new ClusterMember({
      settings: options.settings,
      store: this.store,
      links: options.links.map((l) => l.name),
      runner: options.runner,
      logger: options.logger,
      clock: options.clock ?? monotonicClock,
      url: options.url,
    });
    options.logger.info(
      {
        cluster: options.settings.name,
        member: options.settings.member,
        coordinator: this.store.location,
        leaseTtlMs: options.settings.leaseTtlMs,
      },
      `cluster mode: member ${options.settings.member} of cluster ${options.settings.name} on ${this.store.location}`,
    );
  }

  start(): void {
    this.member.start();
  }

  /** The guard a link calls before writing a conflict record: the lease epoch, or null (do not write). */
  guard(link: string): () => Promise<{ epoch: number } | null> {
    return () => this.member.confirmLease(link);
  }

  /** Whether this member is fit to serve: the coordinator answers. */
  readiness(): { ready: boolean; reason: string | null } {
    const h = this.member.coordinator();
    return h.reachable
      ? { ready: true, reason: null }
      : { ready: false, reason: `coordinator ${this.store.location} unreachable: ${h.lastError ?? 'unknown'}` };
  }

  status(local: (name: string) => LinkStatus | undefined): { cluster: ClusterView; links: ClusterLinkStatus[] } {
    const view = clusterStatus(this.member, this.options.links, local, this.options.now(), {
      engine: this.store.engine,
      location: this.store.location,
      clusterName: this.options.settings.name,
    });
    const self = view.cluster.members.find((m) => m.id === this.member.id);
    if (self) self.url = this.options.url();
    return view;
  }

  /** Drains, checkpoints and releases every held link, leaves the cluster, closes the coordinator. */
  async stop(): Promise<void> {
    await this.member.stop();
    await this.store.close();
  }
}
