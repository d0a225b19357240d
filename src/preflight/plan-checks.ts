import type { ResolvedConfig } from '../config/config-types.js';
import { checkpointStreamName, conflictStreamName } from '../link/bookkeeping.js';

/** One right a link needs on one node, tested before a first run. */
export interface AccessCheck {
  /** What is tested, e.g. `read $all` or `write $linker-checkpoint-a`. */
  readonly label: string;
  readonly kind: 'read-all' | 'read-stream' | 'write-stream';
  readonly stream: string;
  /** The links that need it. */
  readonly links: string[];
}

export interface NodePlan {
  readonly node: string;
  readonly connectionString: string;
  readonly checks: AccessCheck[];
}

/** A probe stream under the link's prefix: nothing is ever written to it (see probe-access.ts). */
export const PROBE_STREAM = 'esdb-linker-preflight';

/**
 * The rights every link needs, per node: an origin reads `$all`; a destination writes the copied streams
 * (under its stream prefix), reads and writes its checkpoint stream, sets that stream's metadata, and writes
 * the conflict stream. Checks several links share are made once.
 */
export function planChecks(config: ResolvedConfig): NodePlan[] {
  const plans = new Map<string, NodePlan>(
    config.nodes.map((n) => [n.name, { node: n.name, connectionString: n.connectionString, checks: [] }]),
  );
  const add = (node: string, link: string, check: Omit<AccessCheck, 'links'>): void => {
    const plan = plans.get(node);
    if (plan === undefined) return;
    const existing = plan.checks.find((c) => c.label === check.label);
    if (existing) {
      if (!existing.links.includes(link)) existing.links.push(link);
    } else {
      plan.checks.push({ ...check, links: [link] });
    }
  };
  for (const link of config.links) {
    add(link.origin, link.name, { label: 'read $all', kind: 'read-all', stream: '$all' });
    const probe = `${link.streamPrefix}${PROBE_STREAM}`;
    add(link.destination, link.name, { label: `write ${probe}`, kind: 'write-stream', stream: probe });
    const checkpoint = checkpointStreamName(link.name);
    add(link.destination, link.name, { label: `read ${checkpoint}`, kind: 'read-stream', stream: checkpoint });
    add(link.destination, link.name, { label: `write ${checkpoint}`, kind: 'write-stream', stream: checkpoint });
    add(link.destination, link.name, {
      label: `set metadata of ${checkpoint}`,
      kind: 'write-stream',
      stream: `$$${checkpoint}`,
    });
    const conflicts = conflictStreamName(link.origin, link.destination);
    add(link.destination, link.name, { label: `write ${conflicts}`, kind: 'write-stream', stream: conflicts });
  }
  return [...plans.values()].filter((p) => p.checks.length > 0);
}
