/**
 * The coordination port: what cluster mode needs from a coordinator (KurrentDB, Redis, or memory in tests).
 * Records are opaque JSON to the store; the lease logic gives them meaning. Every call may reject (the
 * coordinator is unreachable); callers bound each call with their own deadline.
 */

/** A record and the version the next compare-and-swap must name. `value: null` = released (version kept). */
export interface Versioned<T> {
  value: T | null;
  version: string;
}

/** What a member writes on every heartbeat; `seq` changes each time, which is how others see it alive. */
export interface MemberRecord {
  id: string;
  seq: number;
  /** The member's HTTP URL, when it has an endpoint. */
  url: string | null;
  /** Links this member holds a lease for. */
  links: string[];
  /** The latest status of each held link (its owner's figures, shown by every member). */
  linkStatus: Record<string, unknown>;
  /** Held links this member keeps stopped because of a pause intent. */
  paused?: string[];
  /** True in the last record of a member that left cleanly. */
  left?: boolean;
}

/** A hint on the coordinator's pub/sub: wake-ups and routed requests. Lossy: the records are the truth. */
export interface ClusterMessage {
  /** The sending member; a member ignores its own messages. */
  from: string;
  /** `released`: a link became free; `intent`: a link's intent changed (pause, resume). */
  type: 'released' | 'intent';
  link?: string;
}

export type CoordinationEngine = 'memory' | 'kurrentdb' | 'redis';

export interface CoordinationStore {
  readonly engine: CoordinationEngine;
  /** Where the records live (redacted), for logs and status. */
  readonly location: string;
  /** The lease record of a link; null when there never was one (or it was deleted). */
  getLease(link: string): Promise<Versioned<unknown> | null>;
  /** Writes the first record; null when one exists already (someone else won). `ttlMs` lets stores expire it. */
  createLease(link: string, value: unknown, ttlMs: number): Promise<string | null>;
  /** Compare-and-swap: writes only if the record is still at `expectedVersion`; null when it moved on. */
  updateLease(link: string, value: unknown, expectedVersion: string, ttlMs: number): Promise<string | null>;
  /** Compare-and-release: frees the lease only if it is still at `expectedVersion`; false when it moved on. */
  releaseLease(link: string, expectedVersion: string): Promise<boolean>;
  /** A number that grows on every call for this link (the lease epoch, a fencing token). */
  nextEpoch(link: string): Promise<number>;
  heartbeat(member: MemberRecord, ttlMs: number): Promise<void>;
  /** The latest record of every member the store knows (stale ones too: liveness is the caller's call). */
  members(): Promise<MemberRecord[]>;
  /** Durable per-link intents (a pause, a checkpoint reset) applied by whichever member owns the link. */
  getIntent(link: string): Promise<Versioned<unknown> | null>;
  putIntent(link: string, value: unknown): Promise<void>;
  publish(message: ClusterMessage): Promise<void>;
  /** Delivers other members' messages (never our own) until the returned function is called. */
  subscribe(member: string, handler: (message: ClusterMessage) => void): () => void;
  close(): Promise<void>;
}
