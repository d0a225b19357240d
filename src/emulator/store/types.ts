/** Data shapes shared by the emulator's store, persistence and services. */

/** long.MaxValue: the revision of a tombstone record and the `$tb` of a soft-deleted stream. */
export const MAX_LONG = 9223372036854775807n;
/** Revision reported for "no stream". */
export const NO_STREAM = -1n;

/** One record of the global log. commit == prepare == `position` (modern self-committed writes). */
export interface EventRecord {
  readonly position: number;
  readonly streamId: string;
  readonly revision: bigint;
  /** Canonical lower-case UUID text. */
  readonly eventId: string;
  readonly eventType: string;
  readonly contentType: string;
  /** Milliseconds since the Unix epoch. */
  readonly created: number;
  readonly data: Buffer;
  readonly metadata: Buffer;
}

export type ExpectedRevision =
  { kind: 'any' } | { kind: 'no_stream' } | { kind: 'stream_exists' } | { kind: 'revision'; revision: bigint };

export interface ProposedEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly contentType: string;
  readonly data: Buffer;
  readonly metadata: Buffer;
}

export type WriteResult =
  | {
      kind: 'success';
      /** Last revision of the stream after the write (-1 = no stream). */
      currentRevision: bigint;
      /** Log position of the last written (or idempotently matched) event; undefined when none. */
      position: number | undefined;
    }
  | { kind: 'wrong_expected_version'; currentRevision: bigint }
  | { kind: 'stream_deleted' };

/** Expected revision as the numbers the real server uses (-2 any, -1 no stream, -4 stream exists). */
export function expectedAsNumber(expected: ExpectedRevision): bigint {
  switch (expected.kind) {
    case 'any':
      return -2n;
    case 'no_stream':
      return -1n;
    case 'stream_exists':
      return -4n;
    case 'revision':
      return expected.revision;
  }
}
