/**
 * Exit codes of `esdb-linker run`, documented in docs/operations.md. Scripts and supervisors branch on
 * them, so they are stable.
 */
export const EXIT_OK = 0;
/** Config invalid or unreadable, start-up failure (HTTP port taken), drain that overran the grace period. */
export const EXIT_ERROR = 1;
/** Command-line usage error (commander). */
export const EXIT_USAGE = 2;
/** A link failed (for example halted on a conflict). */
export const EXIT_LINK_FAILED = 3;
/** `--until-caught-up --timeout` expired before every link caught up. */
export const EXIT_TIMEOUT = 4;
/** `--until-caught-up` interrupted by a signal before catching up (drained cleanly; run again to continue). */
export const EXIT_INTERRUPTED = 5;

/** A second signal forces the exit: 128 + the signal number, as shells report it. */
export function forcedExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}
