import type { Position } from '@eventstore/db-client';
import { LinkerError } from '../shared/errors.js';

export const BAD_POSITION = 'ESDBL_TOOLS_BAD_POSITION';
const MAX_POSITION = 18_446_744_073_709_551_615n; // uint64, as on the wire

/** Parses `COMMIT[/PREPARE]` (decimal `$all` positions); PREPARE defaults to COMMIT, as for modern writes. */
export function parsePositionArg(text: string): Position {
  const match = /^\s*(\d+)\s*(?:\/\s*(\d+)\s*)?$/.exec(text);
  if (!match) {
    throw new LinkerError(
      BAD_POSITION,
      `--position ${JSON.stringify(text)} is not a position: expected COMMIT or COMMIT/PREPARE in decimal, e.g. 1234 or 1234/1234`,
      { details: { value: text } },
    );
  }
  const commit = BigInt(match[1]!);
  const prepare = match[2] === undefined ? commit : BigInt(match[2]);
  if (commit > MAX_POSITION || prepare > MAX_POSITION) {
    throw new LinkerError(BAD_POSITION, `--position ${JSON.stringify(text)} is beyond the largest $all position`, {
      details: { value: text },
    });
  }
  if (prepare > commit) {
    throw new LinkerError(
      BAD_POSITION,
      `--position ${JSON.stringify(text)}: the prepare position cannot be after the commit position`,
      { details: { value: text } },
    );
  }
  return { commit, prepare };
}

export function formatPosition(p: Position): string {
  return `${p.commit}/${p.prepare}`;
}
