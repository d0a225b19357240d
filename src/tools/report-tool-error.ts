import { ConfigError, formatProblem } from '../config/config-error.js';
import { LinkerError, errorMessage } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';
import { UNKNOWN_LINK } from './link-target.js';
import { TOOL_EXIT_FAILED, TOOL_EXIT_USAGE } from './tool-exit-codes.js';

const USAGE_CODES = new Set([
  UNKNOWN_LINK,
  'ESDBL_VERIFY_BAD_OPTION',
  'ESDBL_TOOLS_BAD_POSITION',
  'ESDBL_TOOLS_BAD_TIMEOUT',
  'ESDBL_CLUSTER_NOT_CONFIGURED',
]);

/**
 * Prints a tool's failure to stderr (one line per config problem, credentials redacted, no stack) and
 * returns the exit code it maps to.
 */
export function reportToolError(command: string, err: unknown, write: (line: string) => void): number {
  if (err instanceof ConfigError) {
    for (const p of err.problems) write(`esdb-linker ${command}: error: ${formatProblem(p, err.sourceName)}`);
    return TOOL_EXIT_USAGE;
  }
  const message = redactText(errorMessage(err));
  if (err instanceof LinkerError) {
    write(`esdb-linker ${command}: ${message} [${err.code}]`);
    return USAGE_CODES.has(err.code) ? TOOL_EXIT_USAGE : TOOL_EXIT_FAILED;
  }
  write(`esdb-linker ${command}: unexpected error: ${message}`);
  return TOOL_EXIT_FAILED;
}
