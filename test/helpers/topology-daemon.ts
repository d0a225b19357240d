import type { TestContext } from 'node:test';
import type { EventStoreDBClient, Position } from '@eventstore/db-client';
import { resolveConfig, type ResolvedConfig } from '../../src/config/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { silentLogger } from '../../src/observability/logger.js';
import { startNodes, type TestNode } from './nodes.js';
import { lastReplicablePosition } from './topology-inspect.js';

/** The `nodes` section of a config for test nodes. */
export function nodesSection(nodes: readonly TestNode[]): { name: string; connectionString: string }[] {
  return nodes.map((n) => ({ name: n.name, connectionString: n.connectionString }));
}

/** Resolves a config the way `run` does (no environment), failing the test on any problem. */
export function topologyConfig(raw: Record<string, unknown>): ResolvedConfig {
  return resolveConfig({ shutdownGraceMs: 5_000, ...raw }, { env: {} });
}

const daemonsOf = new WeakMap<TestContext, Daemon[]>();

/**
 * Starts test nodes and stops them when the test ends, after every daemon `startDaemon` started for the
 * test: a daemon stopped after its nodes would spend its grace period retrying against closed servers.
 */
export async function startTopologyNodes(t: TestContext, names: string[]): Promise<TestNode[]> {
  const nodes = await startNodes(names);
  daemonsOf.set(t, []);
  t.after(async () => {
    await Promise.allSettled((daemonsOf.get(t) ?? []).map((d) => d.stop()));
    await Promise.all(nodes.map((n) => n.stop()));
  });
  return nodes;
}

/** A started daemon over `config`, stopped when the test ends (before the nodes of `startTopologyNodes`). */
export async function startDaemon(t: TestContext, config: ResolvedConfig): Promise<Daemon> {
  const daemon = new Daemon({ config, logger: silentLogger(), collectDefaultMetrics: false, monitorIntervalMs: 100 });
  const daemons = daemonsOf.get(t);
  if (daemons) daemons.push(daemon);
  else {
    t.after(async () => {
      await daemon.stop();
    });
  }
  await daemon.start();
  return daemon;
}

export interface SettleLink {
  name: string;
  origin: EventStoreDBClient;
}

function samePosition(a: Position | undefined, b: Position | undefined): boolean {
  return a?.commit === b?.commit && a?.prepare === b?.prepare;
}

/**
 * Waits until every link has copied everything its origin holds, and nothing new arrived meanwhile: each round
 * takes each origin's newest replicable position and waits for its link to cover it. Copies land in other
 * origins (active/active, chains), so rounds repeat until a round finds every origin unchanged. Returns the
 * number of rounds; rejects after `timeoutMs`, or when a link fails.
 */
export async function settle(daemon: Daemon, links: readonly SettleLink[], timeoutMs = 25_000): Promise<number> {
  const signal = AbortSignal.timeout(timeoutMs);
  for (let round = 1; ; round++) {
    const targets = await Promise.all(links.map((l) => lastReplicablePosition(l.origin)));
    try {
      await Promise.all(
        links.map((l, i) => {
          const target = targets[i];
          return target ? daemon.waitForLink(l.name, target, signal) : Promise.resolve();
        }),
      );
    } catch (err) {
      if (signal.aborted) {
        const status = JSON.stringify(daemon.status().links, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v));
        throw new Error(`links did not settle within ${timeoutMs} ms (round ${round}); status: ${status}`, {
          cause: err,
        });
      }
      throw err;
    }
    const after = await Promise.all(links.map((l) => lastReplicablePosition(l.origin)));
    if (after.every((p, i) => samePosition(p, targets[i]))) return round;
  }
}
