import type { LinkStatus } from '../../src/link/link-status.js';
import type { DaemonStatus } from '../../src/observability/status-types.js';

/**
 * Status snapshots for testing the observability surface (metrics collection, HTTP endpoints, the page)
 * in isolation; end-to-end tests use the daemon's real status instead.
 */
export function fakeLinkStatus(overrides: Partial<LinkStatus> & Pick<LinkStatus, 'name'>): LinkStatus {
  return {
    origin: 'a',
    destination: 'b',
    state: 'running',
    phase: 'live',
    stalled: false,
    retrying: false,
    caughtUp: true,
    checkpoint: { commit: '1000', prepare: '1000' },
    lastReadPosition: { commit: '1000', prepare: '1000' },
    eventsReplicated: 0,
    bytesReplicated: 0,
    eventsSkipped: 0,
    conflicts: 0,
    retries: 0,
    lagEvents: 0,
    lagSeconds: 0,
    rate: 0,
    batchSize: 50,
    buffer: { events: 0, bytes: 0, maxEvents: 10_000, maxBytes: 32 * 1024 * 1024 },
    lastError: null,
    startedAt: new Date(0).toISOString(),
    ...overrides,
  };
}

export function fakeDaemonStatus(links: LinkStatus[], overrides: Partial<DaemonStatus> = {}): DaemonStatus {
  const nodes = new Set(links.flatMap((l) => [l.origin, l.destination]));
  return {
    version: '0.0.0-test',
    startedAt: new Date().toISOString(),
    ready: links.every((l) => l.state === 'running' && !l.stalled),
    nodes: [...nodes].map((name) => ({ name, connectionString: `esdb://${name}.invalid:2113?tls=false` })),
    links,
    recentErrors: [],
    ...overrides,
  };
}
