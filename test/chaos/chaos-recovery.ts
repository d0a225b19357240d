import { setTimeout as delay } from 'node:timers/promises';
import type { ChaosDaemon } from './chaos-daemon.js';
import type { ChaosTopology } from './chaos-topology.js';
import type { AckedAppend } from './chaos-writers.js';

/**
 * Per link, the highest commit position its origin acknowledged in its streams so far: what the link must
 * have copied once it has recovered. Kept as appends are acknowledged, so a fault's targets are a snapshot,
 * not a scan of the whole run's appends.
 */
export class AckedFrontier {
  private readonly commits = new Map<string, bigint>();

  constructor(private readonly topology: ChaosTopology) {}

  add(append: AckedAppend): void {
    if (!append.position) return;
    const commit = append.position.commit;
    for (const link of this.topology.links) {
      if (link.origin !== append.node || !link.prefixes.some((p) => append.stream.startsWith(p))) continue;
      const known = this.commits.get(link.name);
      if (known === undefined || commit > known) this.commits.set(link.name, commit);
    }
  }

  /** The targets now for the named links (a link whose origin acknowledged nothing yet has none). */
  targets(links: readonly string[]): RecoveryTarget[] {
    const out: RecoveryTarget[] = [];
    for (const link of links) {
      const commit = this.commits.get(link);
      if (commit !== undefined) out.push({ link, commit });
    }
    return out;
  }
}

export interface RecoveryTarget {
  link: string;
  commit: bigint;
}

/**
 * Waits until every target link's checkpoint reached its target commit (read from the daemon's status API;
 * a daemon that is down or restarting simply has not recovered yet). `ms` counts from `endedAt`; null when
 * the cap passed first. `slowest` is the link that caught up last, or was still behind at the cap.
 */
export async function waitRecovered(
  daemon: ChaosDaemon,
  targets: readonly RecoveryTarget[],
  endedAt: number,
  capMs: number,
): Promise<{ ms: number | null; slowest: string | null }> {
  let pending = targets.map((t) => t.link);
  while (Date.now() - endedAt < capMs) {
    const links = await daemon.links();
    if (links) {
      const byName = new Map(links.map((l) => [l.name, l]));
      const behind = targets.filter((t) => {
        const checkpoint = byName.get(t.link)?.checkpoint;
        return checkpoint === null || checkpoint === undefined || BigInt(checkpoint.commit) < t.commit;
      });
      if (behind.length === 0) return { ms: Date.now() - endedAt, slowest: pending[0] ?? null };
      pending = behind.map((t) => t.link);
    }
    await delay(200);
  }
  return { ms: null, slowest: pending[0] ?? null };
}
