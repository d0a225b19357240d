/**
 * The resolved, validated options of one link, as produced by src/config from the user's file (defaults
 * applied). LinkerService trusts them; user-facing validation and messages live in src/config.
 */
import type { MetadataRule } from './filter/metadata-match.js';

export type ConflictPolicy = 'metadata' | 'stream' | 'halt';
export type Ordering = 'stream' | 'global';
/** Where the origin subscription is decoded (see `placeReader`). */
export type ReaderThread = 'auto' | 'main' | 'worker';

export interface LinkFilterOptions {
  /** Copy only streams whose (origin) name starts with one of these. Empty = all user streams. */
  includeStreamPrefixes: readonly string[];
  /** Copy only streams whose name matches this regex (JS syntax). */
  includeStreamRegex: string | undefined;
  /** Never copy streams whose name starts with one of these. */
  excludeStreamPrefixes: readonly string[];
  /** Never copy streams whose name matches this regex. */
  excludeStreamRegex: string | undefined;
  /** Copy only events whose type matches this regex. */
  includeEventTypeRegex: string | undefined;
  /** Never copy events whose type matches this regex. */
  excludeEventTypeRegex: string | undefined;
  /** Copy only events whose JSON-object metadata matches one of these. Empty = no condition. */
  includeMetadata: readonly MetadataRule[];
  /** Never copy events whose JSON-object metadata matches one of these. */
  excludeMetadata: readonly MetadataRule[];
  /** Copy only events written on the origin itself (no `$origin` annotation). @defaultValue false */
  localOnly: boolean;
  /** Copy only events first written on one of these nodes (first `$origin` entry, or the origin). Empty = any. */
  fromNodes: readonly string[];
}

export interface LinkBatchOptions {
  /** Adaptive sizing on (true) or a fixed batch of `initialEvents` (false). @defaultValue true */
  adaptive: boolean;
  /** @defaultValue 1 */
  minEvents: number;
  /** @defaultValue 50 */
  initialEvents: number;
  /** @defaultValue 500 */
  maxEvents: number;
  /** Upper bound of one append in bytes (data + metadata); stays under the server's 1 MiB max append size. @defaultValue 900_000 */
  maxBytes: number;
}

export interface ResolvedLinkOptions {
  /** Unique per config; names the checkpoint stream. @defaultValue `${origin}-to-${destination}` */
  name: string;
  /** Origin node name. */
  origin: string;
  /** Destination node name. */
  destination: string;
  /** @defaultValue 'stream' */
  conflicts: ConflictPolicy;
  /** @defaultValue 'stream' */
  ordering: Ordering;
  /** Add `$origin`, `$applies`, `$eventStreamId`, `$eventNumber` to JSON-object metadata. @defaultValue true */
  annotate: boolean;
  /** Replicate tombstones (hard deletes). @defaultValue true */
  replicateTombstones: boolean;
  /** Prefix added to every destination stream name (fan-in). @defaultValue '' */
  streamPrefix: string;
  filter: LinkFilterOptions;
  batch: LinkBatchOptions;
  /** Parallel stream lanes (p-queue concurrency). @defaultValue 16 */
  lanes: number;
  /** Read buffer bounds; reading pauses when either is reached. @defaultValue 50_000 events, 32 MiB */
  buffer: { maxEvents: number; maxBytes: number };
  /**
   * `worker`: the origin subscription is decoded on a thread of its own; `main`: on the link's thread
   * (less CPU per event); `auto`: main when the origin is on this machine (loopback), worker otherwise.
   * @defaultValue 'auto'
   */
  readerThread: ReaderThread;
  /** @defaultValue 1000 */
  checkpointIntervalMs: number;
  /** Capped exponential backoff with jitter for transient errors. @defaultValue 100 ms .. 10_000 ms */
  retry: { initialDelayMs: number; maxDelayMs: number };
  /** No progress for this long while work is pending marks the link stalled. @defaultValue 30_000 */
  stallTimeoutMs: number;
}

export interface NodeOptions {
  name: string;
  connectionString: string;
}
