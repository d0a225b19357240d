/** Leader choice, kept pure so the rules are testable without servers. */

export interface Candidate {
  readonly index: number;
  readonly alive: boolean;
}

/** A majority of the configured members, as the real server needs for an election and for every write. */
export function hasQuorum(aliveCount: number, clusterSize: number): boolean {
  return aliveCount > clusterSize / 2;
}

/**
 * The next leader: round-robin from the previous leader over the live members, skipping `avoid` (a resigning
 * leader) whenever another live member exists, as the real server elects someone else after ResignNode.
 * Undefined without a majority.
 */
export function chooseLeader(
  candidates: readonly Candidate[],
  previous: number | undefined,
  avoid: number | undefined,
): number | undefined {
  const alive = candidates.filter((c) => c.alive);
  if (!hasQuorum(alive.length, candidates.length)) return undefined;
  const n = candidates.length;
  const start = previous === undefined ? 0 : previous + 1;
  for (let step = 0; step < n; step++) {
    const c = candidates[(start + step) % n];
    if (c !== undefined && c.alive && c.index !== avoid) return c.index;
  }
  return alive[0]?.index;
}
