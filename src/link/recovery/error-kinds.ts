import { ErrorType } from '@eventstore/db-client';
import { isAccessDenied } from './access-errors.js';

/**
 * How the link reacts to an error from the client: `transient` retries with backoff (nothing skipped),
 * `refused` is a definite answer about one event (it follows the conflict policy so the link is never
 * blocked forever), `stream-deleted` means the destination stream is tombstoned, `access-denied` is a
 * configuration error (credentials or ACLs) that fails the link: retrying cannot fix it, and treating it as a
 * refused event would skip events the user only forgot to grant.
 */
export type ErrorKind =
  'transient' | 'wrong-expected-version' | 'too-large' | 'stream-deleted' | 'refused' | 'access-denied';

const TRANSIENT = new Set<string>([
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.CANCELLED,
  ErrorType.NOT_LEADER,
  ErrorType.UNKNOWN,
]);

export function errorKind(err: unknown): ErrorKind {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === ErrorType.WRONG_EXPECTED_VERSION) return 'wrong-expected-version';
  if (type === ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED) return 'too-large';
  if (type === ErrorType.STREAM_DELETED) return 'stream-deleted';
  if (typeof type === 'string' && TRANSIENT.has(type)) return 'transient';
  if (isAccessDenied(err)) return 'access-denied';
  if (type === ErrorType.INVALID_ARGUMENT) return 'refused';
  // Anything else (connection reset, internal errors, our own timeouts) is retried: skipping is never safe.
  return 'transient';
}

/** A short label for `metrics.retry(reason)` and logs. */
export function errorReason(err: unknown): string {
  const type = (err as { type?: unknown } | null)?.type;
  if (typeof type === 'string') return type;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return 'error';
}
