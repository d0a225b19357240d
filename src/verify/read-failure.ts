import { DeadlineExceededError, UnavailableError } from '@eventstore/db-client';
import { LinkerError, errorMessage } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';

export type Side = 'origin' | 'destination';

/**
 * A read that failed for another reason than a missing or deleted stream: the comparison cannot go on.
 * Unreachable nodes get their own code so the CLI can say "could not compare" rather than "different".
 */
export function readFailure(side: Side, what: string, err: unknown): LinkerError {
  if (err instanceof LinkerError) return err;
  const unreachable = err instanceof UnavailableError || err instanceof DeadlineExceededError;
  const code = unreachable ? 'ESDBL_VERIFY_NODE_UNREACHABLE' : 'ESDBL_VERIFY_READ_FAILED';
  const message = unreachable
    ? `cannot reach the ${side} node while ${what}: ${redactText(errorMessage(err))}`
    : `reading the ${side} node failed while ${what}: ${redactText(errorMessage(err))}`;
  return new LinkerError(code, message, { cause: err, details: { side } });
}
