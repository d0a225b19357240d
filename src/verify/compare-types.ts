import type { RecordedEvent } from '@eventstore/db-client';

/** Options of `compareNodes`. Stream filters apply to ORIGIN stream names (destination names minus `streamPrefix`). */
export interface CompareOptions {
  /** Compare only streams whose name starts with one of these. Empty = every user stream. */
  includeStreamPrefixes?: readonly string[];
  /** Compare only streams whose name matches this regex (JS syntax). */
  includeStreamRegex?: string;
  /** Skip streams whose name starts with one of these. */
  excludeStreamPrefixes?: readonly string[];
  /** Skip streams whose name matches this regex (JS syntax). */
  excludeStreamRegex?: string;
  /** The destination holds origin stream `s` as `streamPrefix + s` (fan-in links). @defaultValue '' */
  streamPrefix?: string;
  /**
   * Ignore the keys replication adds to JSON-object metadata (`$origin`, `$applies`, `$eventStreamId`,
   * `$eventNumber` and the conflict keys). When false, metadata must match byte for byte. @defaultValue true
   */
  ignoreAnnotations?: boolean;
  /**
   * Compare only the origin events this returns true for (a link's event filters: type, metadata, where the
   * event was written; see `linkEventSelector`). The destination then holds the selected events in order with
   * the gaps closed up, so revisions are not compared, and an origin stream none of whose readable events is
   * selected is expected to be absent from the destination.
   */
  selectOriginEvent?: (event: RecordedEvent) => boolean;
  /** Streams compared at the same time. @defaultValue 8 */
  concurrency?: number;
  /** Stop after this many differences. @defaultValue 20 */
  maxDifferences?: number;
  signal?: AbortSignal;
}

export type DifferenceKind =
  /** The stream exists only in the origin (or only in the destination). */
  | 'only-in-origin'
  | 'only-in-destination'
  /** One side is readable, soft-deleted, tombstoned or without events, and the other is not the same. */
  | 'deleted-state'
  /** One side has more events; `revision` is the first revision present on one side only. */
  | 'event-count'
  /** Events at the same position in the stream carry different revisions. */
  | 'revision'
  | 'event-id'
  | 'event-type'
  | 'content-type'
  | 'data'
  | 'metadata'
  /** The stream's metadata (`$maxCount`, `$maxAge`, `$tb`, custom keys) differs. */
  | 'stream-metadata';

export interface Difference {
  /** The ORIGIN stream name (the destination's is `streamPrefix + stream`). */
  stream: string;
  kind: DifferenceKind;
  /** Origin revision of the first differing event, for event-level kinds. */
  revision?: bigint;
  /** Human-readable, names both sides' values (shortened). */
  detail: string;
}

export interface CompareResult {
  equal: boolean;
  streamsCompared: number;
  /** Event pairs compared (events present on both sides). */
  eventsCompared: number;
  /** At most `maxDifferences`, in the order found; at most one event-level difference per stream. */
  differences: Difference[];
  /** True when the comparison stopped early because `maxDifferences` was reached. */
  truncated: boolean;
}
