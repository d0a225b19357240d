import type { Position } from '@eventstore/db-client';
import type { PositionView } from '../link-status.js';

/** Origin `$all` positions are compared by commit, then prepare; both are byte offsets in the log. */
export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

export function positionView(p: Position | null): PositionView | null {
  return p ? { commit: p.commit.toString(), prepare: p.prepare.toString() } : null;
}

export function samePosition(a: Position | null, b: Position | null): boolean {
  if (a === null || b === null) return a === b;
  return comparePositions(a, b) === 0;
}
