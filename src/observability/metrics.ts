import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConflictPolicy } from '../link/link-options.js';
import type { LinkMetrics, LinkMetricsFactory } from '../link/link-metrics.js';
import type { LinkState, LinkStatus } from '../link/link-status.js';
import type { DaemonStatus } from './status-types.js';

export const METRIC_PREFIX = 'esdb_linker_';

/** Every state a link can be in, so the state gauge always exposes all of them (0 or 1). */
export const LINK_STATES: readonly LinkState[] = ['idle', 'starting', 'running', 'draining', 'stopped', 'failed'];

/** 1 ms .. 10 s: a loopback append takes about a millisecond, a congested cluster seconds. */
export const APPEND_LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface MetricsOptions {
  /** Where the metrics are registered. @defaultValue a new Registry (never prom-client's global one) */
  registry?: Registry;
  /** Also collect Node.js process metrics (CPU, memory, event loop lag, GC) with the same prefix. @defaultValue true */
  collectDefault?: boolean;
}

export interface Metrics {
  readonly registry: Registry;
  /** The `LinkMetrics` for one link, labels bound. Calling it again with the same labels shares the series. */
  forLink: LinkMetricsFactory;
  /**
   * Lets scrapes refresh what only the status knows or what must be current at scrape time (lag keeps
   * growing while a link is stuck, and nobody calls `lag()` then): readiness, stalled, caught-up, state,
   * lag, buffer capacity, skipped events, build info.
   */
  setStatusSource(getStatus: () => DaemonStatus): void;
}

type LinkLabels = { link: string; origin: string; destination: string };
const LINK_LABELS = ['link', 'origin', 'destination'] as const;

/** Free-form label values (retry reasons) are bounded so a bad caller cannot blow up the series count per value. */
const MAX_LABEL_LENGTH = 64;

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  if (options.collectDefault ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  let statusSource: (() => DaemonStatus) | undefined;
  let cached: DaemonStatus | undefined;
  // One status snapshot per scrape: prom-client starts every metric's collect() in the same tick, so a
  // cache cleared on the next macrotask gives all status-derived series a consistent view.
  const snapshot = (): DaemonStatus | undefined => {
    if (statusSource === undefined) return undefined;
    if (cached === undefined) {
      try {
        cached = statusSource();
      } catch {
        // A failing status source must not fail the scrape: the series keep their last values, and the
        // failure itself is visible on /api/status and /health/ready, which call the same source.
        return undefined;
      }
      setImmediate(() => {
        cached = undefined;
      });
    }
    return cached;
  };
  const eachLink = (fn: (link: LinkStatus, labels: LinkLabels) => void): void => {
    const status = snapshot();
    const member = status?.cluster?.member;
    for (const link of status?.links ?? []) {
      // In cluster mode each member exports the links it owns, so sums over members count each link once.
      if (member !== undefined && link.owner !== member) continue;
      fn(link, { link: link.name, origin: link.origin, destination: link.destination });
    }
  };

  const eventsReplicated = new Counter({
    name: `${METRIC_PREFIX}events_replicated_total`,
    help: 'Events appended to the destination and acknowledged.',
    labelNames: LINK_LABELS,
    registers,
  });
  const bytesReplicated = new Counter({
    name: `${METRIC_PREFIX}bytes_replicated_total`,
    help: 'Bytes (data + metadata) of the events appended to the destination.',
    labelNames: LINK_LABELS,
    registers,
  });
  const skippedSeen = new Map<string, number>();
  new Counter({
    name: `${METRIC_PREFIX}events_skipped_total`,
    help: 'Events read but not copied: filtered, dropped by loop prevention, or already present in the destination.',
    labelNames: LINK_LABELS,
    registers,
    collect() {
      // The engine counts skips in its status only; turn that running total into counter increments.
      eachLink((link, labels) => {
        const previous = skippedSeen.get(link.name) ?? 0;
        if (link.eventsSkipped > previous) this.inc(labels, link.eventsSkipped - previous);
        // A link restarted in-process starts from 0 again: rebase instead of going backwards.
        skippedSeen.set(link.name, link.eventsSkipped);
      });
    },
  });
  const lagEvents = new Gauge({
    name: `${METRIC_PREFIX}lag_events`,
    help: 'Events read from the origin but not yet acknowledged by the destination.',
    labelNames: LINK_LABELS,
    registers,
    collect() {
      eachLink((link, labels) => this.set(labels, link.lagEvents));
    },
  });
  const lagSeconds = new Gauge({
    name: `${METRIC_PREFIX}lag_seconds`,
    help: 'Age of the oldest unacknowledged event (origin created time to now); 0 when idle.',
    labelNames: LINK_LABELS,
    registers,
    collect() {
      eachLink((link, labels) => this.set(labels, link.lagSeconds));
    },
  });
  const appendLatency = new Histogram({
    name: `${METRIC_PREFIX}append_latency_seconds`,
    help: 'Duration of one append (one batch) to the destination.',
    labelNames: LINK_LABELS,
    buckets: APPEND_LATENCY_BUCKETS,
    registers,
  });
  const batchSize = new Gauge({
    name: `${METRIC_PREFIX}batch_size_events`,
    help: 'Batch size the adaptive tuner currently chooses (the fixed size when adaptive batching is off).',
    labelNames: LINK_LABELS,
    registers,
  });
  const bufferEvents = new Gauge({
    name: `${METRIC_PREFIX}buffer_events`,
    help: 'Events held in the read buffer (read, not yet acknowledged).',
    labelNames: LINK_LABELS,
    registers,
  });
  const bufferBytes = new Gauge({
    name: `${METRIC_PREFIX}buffer_bytes`,
    help: 'Bytes held in the read buffer.',
    labelNames: LINK_LABELS,
    registers,
  });
  new Gauge({
    name: `${METRIC_PREFIX}buffer_capacity_events`,
    help: 'Read buffer bound in events; reading pauses when buffer_events reaches it.',
    labelNames: LINK_LABELS,
    registers,
    collect() {
      eachLink((link, labels) => this.set(labels, link.buffer.maxEvents));
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}buffer_capacity_bytes`,
    help: 'Read buffer bound in bytes; reading pauses when buffer_bytes reaches it.',
    labelNames: LINK_LABELS,
    registers,
    collect() {
      eachLink((link, labels) => this.set(labels, link.buffer.maxBytes));
    },
  });
  const conflicts = new Counter({
    name: `${METRIC_PREFIX}conflicts_total`,
    help: 'Conflicts found (the destination stream holds a different event), by the policy that handled them.',
    labelNames: [...LINK_LABELS, 'policy'],
    registers,
  });
  const retries = new Counter({
    name: `${METRIC_PREFIX}retries_total`,
    help: 'Retries after transient errors, by reason.',
    labelNames: [...LINK_LABELS, 'reason'],
    registers,
  });
  const checkpoint = new Gauge({
    name: `${METRIC_PREFIX}checkpoint_commit_position`,
    help: 'Commit position (origin $all) of the last checkpoint written.',
    labelNames: LINK_LABELS,
    registers,
  });
  const linkState = new Gauge({
    name: `${METRIC_PREFIX}link_state`,
    help: 'Link lifecycle state: 1 for the current state, 0 for the others.',
    labelNames: [...LINK_LABELS, 'state'],
    registers,
    collect() {
      eachLink((link, labels) => setState(labels, link.state));
    },
  });
  const setState = (labels: LinkLabels, state: LinkState): void => {
    for (const s of LINK_STATES) linkState.set({ ...labels, state: s }, s === state ? 1 : 0);
  };
  const flag = (name: string, help: string, read: (link: LinkStatus) => boolean): void => {
    new Gauge({
      name: `${METRIC_PREFIX}${name}`,
      help,
      labelNames: LINK_LABELS,
      registers,
      collect() {
        eachLink((link, labels) => this.set(labels, read(link) ? 1 : 0));
      },
    });
  };
  flag('link_stalled', '1 while the link makes no progress although work is pending.', (l) => l.stalled);
  flag('link_retrying', '1 while the link retries a transient error.', (l) => l.retrying);
  flag('link_caught_up', '1 once the link reached the end of the origin log at least once.', (l) => l.caughtUp);
  new Gauge({
    name: `${METRIC_PREFIX}ready`,
    help: '1 while the daemon is ready: every link running, none stalled or failed.',
    registers,
    collect() {
      const status = snapshot();
      if (status) this.set(status.ready ? 1 : 0);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}cluster_members`,
    help: 'Cluster mode: live members this member sees, itself included.',
    registers,
    collect() {
      const cluster = snapshot()?.cluster;
      if (cluster) this.set(cluster.members.length);
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}cluster_link_owned`,
    help: 'Cluster mode: 1 for each link of the config this member holds the lease of, 0 for the others.',
    labelNames: LINK_LABELS,
    registers,
    collect() {
      const status = snapshot();
      if (!status?.cluster) return;
      this.reset();
      for (const link of status.links) {
        const labels = { link: link.name, origin: link.origin, destination: link.destination };
        this.set(labels, link.owner === status.cluster.member ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: `${METRIC_PREFIX}build_info`,
    help: 'Always 1; the version label says which esdb-linker runs.',
    labelNames: ['version'],
    registers,
    collect() {
      const status = snapshot();
      if (status) {
        this.reset();
        this.set({ version: status.version }, 1);
      }
    },
  });

  const forLink: LinkMetricsFactory = (labels) => {
    const bound: LinkLabels = { link: labels.link, origin: labels.origin, destination: labels.destination };
    // Zero-initialise the series a link always has, so rate() and absence alerts work from the first scrape.
    eventsReplicated.inc(bound, 0);
    bytesReplicated.inc(bound, 0);
    const metrics: LinkMetrics = {
      replicated(events, bytes) {
        eventsReplicated.inc(bound, events);
        bytesReplicated.inc(bound, bytes);
      },
      appendLatency(seconds) {
        appendLatency.observe(bound, seconds);
      },
      batchSize(events) {
        batchSize.set(bound, events);
      },
      bufferFill(events, bytes) {
        bufferEvents.set(bound, events);
        bufferBytes.set(bound, bytes);
      },
      conflict(policy: ConflictPolicy) {
        conflicts.inc({ ...bound, policy });
      },
      retry(reason) {
        retries.inc({ ...bound, reason: reason.slice(0, MAX_LABEL_LENGTH) });
      },
      checkpoint(commitPosition) {
        // A gauge is a float64: positions above 2^53 (about 9 PB of log) lose their last digits here.
        // Good enough to plot progress; the exact position is in /api/status and the checkpoint stream.
        checkpoint.set(bound, Number(commitPosition));
      },
      lag(events, seconds) {
        lagEvents.set(bound, events);
        lagSeconds.set(bound, seconds);
      },
      state(state) {
        setState(bound, state);
      },
    };
    return metrics;
  };

  return {
    registry,
    forLink,
    setStatusSource(getStatus) {
      statusSource = getStatus;
      cached = undefined;
    },
  };
}
