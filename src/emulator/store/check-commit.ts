import type { RecentIds } from './recent-ids.js';
import type { ExpectedRevision } from './types.js';

/** What the stream looks like to the expected-version check. */
export interface StreamView {
  readonly streamId: string;
  /** Raw last revision (-1 when empty); a soft-deleted stream keeps its last number. */
  readonly currentRevision: bigint;
  readonly tombstoned: boolean;
  readonly softDeleted: boolean;
  /** Whether `$$stream` has any event (matters for `stream_exists` on an empty stream). */
  readonly hasMetadataStream: boolean;
  /** Event id at a revision, from the stream index (explicit-revision idempotency is unbounded in age). */
  eventIdAt(revision: bigint): string | undefined;
  positionAt(revision: bigint): number | undefined;
}

export type CommitDecision =
  | { kind: 'write'; softDeleted: boolean }
  | { kind: 'idempotent'; lastRevision: bigint; position: number | undefined }
  | { kind: 'wrong_expected_version' }
  | { kind: 'deleted' };

/**
 * The real server's `IndexWriter.CheckCommit` decision table (see docs/emulator.md). "Corrupted
 * idempotency" (a partial overlap) is reported as a wrong expected version, as the real server does.
 */
export function checkCommit(
  view: StreamView,
  expected: ExpectedRevision,
  eventIds: readonly string[],
  recent: RecentIds,
): CommitDecision {
  if (view.tombstoned) return { kind: 'deleted' };
  const current = view.currentRevision;

  if (expected.kind === 'stream_exists') {
    if (view.softDeleted) return { kind: 'deleted' };
    if (current < 0n && !view.hasMetadataStream) return { kind: 'wrong_expected_version' };
  }

  if (expected.kind === 'any' || expected.kind === 'stream_exists') {
    let first = true;
    let lastRevision = -1n;
    let position: number | undefined;
    for (const id of eventIds) {
      const info = recent.get(id);
      if (info === undefined || info.streamId !== view.streamId) {
        return first ? { kind: 'write', softDeleted: view.softDeleted } : { kind: 'wrong_expected_version' };
      }
      lastRevision = info.revision;
      position = info.position;
      first = false;
    }
    return first ? { kind: 'write', softDeleted: view.softDeleted } : { kind: 'idempotent', lastRevision, position };
  }

  const expectedRevision = expected.kind === 'no_stream' ? -1n : expected.revision;
  if (expectedRevision < current) {
    let revision = expectedRevision;
    for (const id of eventIds) {
      revision += 1n;
      if (view.eventIdAt(revision) === id) continue;
      if (revision !== expectedRevision + 1n) return { kind: 'wrong_expected_version' };
      if (expected.kind === 'no_stream' && view.softDeleted) return { kind: 'write', softDeleted: true };
      return { kind: 'wrong_expected_version' };
    }
    if (revision === expectedRevision) return { kind: 'wrong_expected_version' };
    return { kind: 'idempotent', lastRevision: revision, position: view.positionAt(revision) };
  }
  if (expectedRevision > current) return { kind: 'wrong_expected_version' };
  return { kind: 'write', softDeleted: view.softDeleted };
}
