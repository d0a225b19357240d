import type { ResolvedConfig } from '../config/config-types.js';
import { resolveConfig } from '../config/resolve-config.js';

export interface DemoNode {
  name: string;
  connectionString: string;
}

/** Node names of the demo: two data centres taking writes and one reporting database. */
export const DEMO_NODES = ['dc1', 'dc2', 'reporting'] as const;

/**
 * The demo's topology, built through the same presets and validation a user's config goes through:
 * active/active dc1 <-> dc2 (conflicts recorded in the conflict stream) and a fan-in of both into
 * `reporting`, each origin under its own stream prefix (`dc1.order-1`). Each DC also holds the other's
 * events (the pair copies them), so the fan-in takes only the events written on its origin (`localOnly`):
 * `reporting` holds each event once, under the prefix of the DC that wrote it. The Linker-style metadata
 * condition keeps the demo's own traffic only (every event it writes carries it).
 */
export function buildDemoConfig(nodes: readonly DemoNode[], http: { host: string; port: number }): ResolvedConfig {
  const raw = {
    nodes: nodes.map((n) => ({ name: n.name, connectionString: n.connectionString })),
    topology: [
      { type: 'active-active', nodes: ['dc1', 'dc2'], conflicts: 'stream' },
      {
        type: 'fan-in',
        origins: ['dc1', 'dc2'],
        destination: 'reporting',
        streamPrefix: '{origin}.',
        filter: { localOnly: true, includeMetadata: ['source:esdb-linker-*'] },
      },
    ],
    http: { host: http.host, port: http.port },
    // The links' own retry and checkpoint timings stay at their defaults: the demo shows the real thing.
    shutdownGraceMs: 5_000,
  };
  // No environment: a user's ESDB_LINKER_* variables must not change the demo.
  return resolveConfig(raw, { env: {} });
}
