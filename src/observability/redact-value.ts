import { redactConnectionString, redactText } from '../shared/redact.js';

/** Keys whose values are secrets in their entirety, wherever they appear in a logged or served object. */
const SECRET_KEY = /^(password|passwd|pass|secret|token|bearer|authorization|apikey|api_key|credentials?)$/i;
const CONNECTION_STRING_KEY = /^connection_?string$/i;
export const REDACTED = '[redacted]';

/** Deep objects are cut here: logs and status payloads never need more, and a hostile shape cannot recurse us to death. */
const MAX_DEPTH = 10;

/**
 * Returns a copy of `value` with credentials removed: secret-named keys censored, connection strings
 * masked, and every other string passed through `redactText` (error messages from libraries quote
 * connection strings). Cycles become `[circular]`. Errors become plain objects (name, message, stack,
 * code and own enumerable fields), redacted the same way, so nothing about them escapes unfiltered.
 */
export function redactValue(value: unknown): unknown {
  return walk(value, undefined, 0, new WeakSet<object>());
}

function walk(value: unknown, key: string | undefined, depth: number, seen: WeakSet<object>): unknown {
  if (key !== undefined && SECRET_KEY.test(key) && value !== null && value !== undefined && value !== '') {
    return REDACTED;
  }
  if (typeof value === 'string') {
    return key !== undefined && CONNECTION_STRING_KEY.test(key)
      ? redactText(redactConnectionString(value))
      : redactText(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  try {
    if (value instanceof Error) return walkError(value, depth, seen);
    if (Array.isArray(value)) return value.map((v) => walk(v, undefined, depth + 1, seen));
    if (value instanceof Date || value instanceof Uint8Array || ArrayBuffer.isView(value)) return value;
    if (value instanceof Map) {
      return Object.fromEntries([...value].map(([k, v]) => [String(k), walk(v, String(k), depth + 1, seen)]));
    }
    if (value instanceof Set) return [...value].map((v) => walk(v, undefined, depth + 1, seen));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, k, depth + 1, seen);
    return out;
  } finally {
    // A value may legitimately appear twice side by side (not a cycle); only ancestors count as cycles.
    seen.delete(value);
  }
}

function walkError(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: err.name,
    message: redactText(err.message),
  };
  if (err.stack !== undefined) out.stack = redactText(err.stack);
  for (const [k, v] of Object.entries(err)) {
    if (k === 'message' || k === 'stack') continue;
    out[k] = walk(v, k, depth + 1, seen);
  }
  if (err.cause !== undefined) out.cause = walk(err.cause, 'cause', depth + 1, seen);
  return out;
}
