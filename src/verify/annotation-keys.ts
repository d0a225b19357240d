/**
 * Metadata keys that replication itself adds to JSON-object event metadata: loop-prevention annotations
 * (design §5, Linker-compatible) and the conflict record (`ConflictDetails` in src/link/bookkeeping.ts).
 * A faithful copy differs from its origin event by these keys only.
 */
export const REPLICATION_ANNOTATION_KEYS: ReadonlySet<string> = new Set([
  '$origin',
  '$applies',
  '$eventStreamId',
  '$eventNumber',
  '$error',
  '$originalStreamId',
  '$originalEventNumber',
  '$expectedRevision',
  '$actualRevision',
  '$conflictAt',
]);
