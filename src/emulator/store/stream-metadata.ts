import { MAX_LONG } from './types.js';

/** The parts of a `$metadata` event the emulator honours. */
export interface StreamMetadata {
  readonly maxCount?: number;
  /** Seconds. */
  readonly maxAge?: number;
  /** Truncate before; `MAX_LONG` marks a soft-deleted stream. */
  readonly truncateBefore?: bigint;
}

export const EMPTY_METADATA: StreamMetadata = {};

const TB_PATTERN = /"\$tb"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/;

/**
 * Parses a `$metadata` event. `$tb` is read textually because long.MaxValue (a soft delete) does not
 * survive `JSON.parse`. Malformed JSON gives the empty metadata, as the real server does.
 */
export function parseStreamMetadata(data: Buffer): StreamMetadata {
  const text = data.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return EMPTY_METADATA;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return EMPTY_METADATA;
  const obj = parsed as Record<string, unknown>;
  const result: { maxCount?: number; maxAge?: number; truncateBefore?: bigint } = {};
  if (typeof obj.$maxCount === 'number' && Number.isInteger(obj.$maxCount) && obj.$maxCount > 0) {
    result.maxCount = obj.$maxCount;
  }
  if (typeof obj.$maxAge === 'number' && Number.isFinite(obj.$maxAge) && obj.$maxAge > 0) {
    result.maxAge = obj.$maxAge;
  }
  const tb = TB_PATTERN.exec(text)?.[1];
  if (tb !== undefined && /^\d+$/.test(tb)) {
    const value = BigInt(tb);
    result.truncateBefore = value > MAX_LONG ? MAX_LONG : value;
  }
  return result;
}

export function isSoftDeleted(meta: StreamMetadata): boolean {
  return meta.truncateBefore === MAX_LONG;
}

/**
 * Rewrites `$tb` in a raw metadata document, keeping every other key byte for byte (used by soft delete and
 * undelete). A malformed or absent document becomes `{"$tb":N}`.
 */
export function withTruncateBefore(raw: Buffer | undefined, tb: bigint): Buffer {
  const text = raw?.toString('utf8') ?? '';
  let valid = false;
  try {
    const parsed: unknown = JSON.parse(text);
    valid = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  } catch {
    valid = false;
  }
  if (!valid) return Buffer.from(`{"$tb":${tb}}`);
  if (TB_PATTERN.test(text)) return Buffer.from(text.replace(TB_PATTERN, () => `"$tb":${tb}`));
  const open = text.indexOf('{');
  const rest = text.slice(open + 1).trim();
  return Buffer.from(`{"$tb":${tb}${rest.startsWith('}') ? '' : ','}${text.slice(open + 1)}`);
}
