/**
 * Names and shapes of the streams the daemon keeps in a destination for itself. They all start with `$`
 * so no link ever copies them (system streams are never replicated), and tools (checkpoint, conflicts
 * commands) read them through these helpers only.
 */
export const CHECKPOINT_EVENT_TYPE = '$linker-checkpoint';
export const CONFLICT_EVENT_TYPE_PREFIX = ''; // conflict events keep the origin event's type
export const LEASE_EVENT_TYPE = '$linker-lease';

/**
 * Cluster mode keeps its lease, member and intent records in streams with this prefix. They cannot start
 * with `$` (reserved for admins), so links skip them by name instead.
 */
export const COORDINATION_STREAM_PREFIX = 'esdb-linker-cluster-';

/** One checkpoint stream per link, named after the link so fan-in links never share one. */
export function checkpointStreamName(linkName: string): string {
  return `$linker-checkpoint-${linkName}`;
}

/** Linker-compatible conflict stream name. */
export function conflictStreamName(origin: string, destination: string): string {
  return `$conflicts-from-${origin}-to-${destination}`;
}

export function leaseStreamName(linkName: string): string {
  return `$linker-lease-${linkName}`;
}

/** Data of a checkpoint event (JSON). Positions are decimal strings: they do not fit a JSON number. */
export interface CheckpointData {
  link: string;
  commit: string;
  prepare: string;
  at: string;
}

/** Keys added to the metadata of an event written to a conflict stream (or, for `metadata`, to the event). */
export interface ConflictDetails {
  $error: string;
  $originalStreamId: string;
  $originalEventNumber: string;
  $expectedRevision: string;
  $actualRevision: string;
  $conflictAt: string;
}

/** How many checkpoint events a checkpoint stream keeps (`$maxCount`). */
export const CHECKPOINT_STREAM_MAX_COUNT = 10;
