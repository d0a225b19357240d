import { DeadlineExceededError, UnavailableError } from '@eventstore/db-client';
import { LinkerError, errorMessage } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';

export const NODE_UNREACHABLE = 'ESDBL_TOOLS_NODE_UNREACHABLE';
export const NODE_FAILED = 'ESDBL_TOOLS_NODE_FAILED';

/** Wraps a failed call to a node so the CLI can name the node and exit with "could not reach" (3). */
export function nodeFailure(node: string, what: string, err: unknown): LinkerError {
  if (err instanceof LinkerError) return err;
  const unreachable = err instanceof UnavailableError || err instanceof DeadlineExceededError;
  const reason = redactText(errorMessage(err));
  return new LinkerError(
    unreachable ? NODE_UNREACHABLE : NODE_FAILED,
    unreachable ? `cannot reach node ${node} while ${what}: ${reason}` : `node ${node} failed while ${what}: ${reason}`,
    { cause: err, details: { node } },
  );
}
