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
 * Rewrites `$tb` in a raw metadata document, keeping every other key as written (used by undelete). A new
 * `$tb` goes last, where the real server's JSON object rewrite puts it. `undefined` when the document is not a
 * JSON object: the real server then skips the rewrite.
 */
export function withTruncateBefore(raw: Buffer, tb: bigint): Buffer | undefined {
  const text = raw.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  } catch {
    return undefined;
  }
  if (TB_PATTERN.test(text)) return Buffer.from(text.replace(TB_PATTERN, () => `"$tb":${tb}`));
  const close = text.lastIndexOf('}');
  const body = text.slice(0, close).trimEnd();
  return Buffer.from(`${body}${body.endsWith('{') ? '' : ','}"$tb":${tb}${text.slice(close)}`);
}
