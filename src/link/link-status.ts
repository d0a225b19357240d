/**
 * Lifecycle of a link. `running` has a phase (`catch-up` or `live`); a running link that makes no
 * progress while work is pending is flagged `stalled`, and one retrying a transient error says so in
 * `retrying` and `lastError`.
 */
export type LinkState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped' | 'failed';
export type LinkPhase = 'catch-up' | 'live';

export interface PositionView {
  commit: string;
  prepare: string;
}

export interface LinkErrorView {
  code: string;
  message: string;
  at: string;
}

/** A snapshot for the status API, the page, metrics collection, `--until-caught-up` progress and logs. */
export interface LinkStatus {
  name: string;
  origin: string;
  destination: string;
  state: LinkState;
  phase: LinkPhase;
  stalled: boolean;
  retrying: boolean;
  /** Set once the link reached the end of its origin's log at least once. */
  caughtUp: boolean;
  /** Origin `$all` position below which everything is acknowledged by the destination. */
  checkpoint: PositionView | null;
  /** Origin `$all` position of the last event or checkpoint received from the subscription. */
  lastReadPosition: PositionView | null;
  eventsReplicated: number;
  bytesReplicated: number;
  /** Events seen but not copied (filtered, loop prevention, already present). */
  eventsSkipped: number;
  conflicts: number;
  retries: number;
  /** Events read but not yet acknowledged by the destination. */
  lagEvents: number;
  /** Age of the oldest unacknowledged event (origin created time to now), 0 when idle. */
  lagSeconds: number;
  /** Events per second over the last few seconds. */
  rate: number;
  batchSize: number;
  buffer: { events: number; bytes: number; maxEvents: number; maxBytes: number };
  lastError: LinkErrorView | null;
  startedAt: string | null;
}
