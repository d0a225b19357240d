/** The resolved `cluster` section of a config (absent = one process runs every link). */
export interface ClusterSettings {
  coordination: 'kurrentdb' | 'redis';
  /** kurrentdb: the node whose database holds the coordination streams. */
  node: string | null;
  /** redis: the server URL (may carry credentials; never logged). */
  redisUrl: string | null;
  /** Several clusters may share one coordinator; records are keyed by this name. */
  name: string;
  /** This process's member id. */
  member: string;
  /** A lease not seen changing for this long may be taken over. */
  leaseTtlMs: number;
  /** How often an owner renews its leases (and heartbeats). */
  renewIntervalMs: number;
  /** An owner whose renewals failed for this long stops its links (before anyone may take them). */
  giveUpAfterMs: number;
  /** A member must be alive this long before links are handed to it (a restart storm does not reshuffle). */
  rebalanceDelayMs: number;
}

export const CLUSTER_DEFAULTS = {
  name: 'default',
  leaseTtlMs: 15_000,
  renewIntervalMs: 3_000,
  giveUpAfterMs: 10_000,
  rebalanceDelayMs: 10_000,
} as const;

/** The timing rule that makes a lease safe: an owner stops its work before a rival can take the lease. */
export function timingProblem(
  s: Pick<ClusterSettings, 'leaseTtlMs' | 'renewIntervalMs' | 'giveUpAfterMs'>,
): string | null {
  if (s.renewIntervalMs + s.giveUpAfterMs < s.leaseTtlMs) return null;
  return (
    `renewIntervalMs (${s.renewIntervalMs}) + giveUpAfterMs (${s.giveUpAfterMs}) must be below leaseTtlMs ` +
    `(${s.leaseTtlMs}), so an owner that cannot renew stops its links before anyone may take them`
  );
}
