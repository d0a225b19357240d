/**
 * Exit codes of the operator tools (`verify`, `checkpoint`, `conflicts`), documented in docs/tools.md.
 * Scripts branch on them, so they are stable; "could not tell" (3) is kept apart from "different" (1).
 */
export const TOOL_EXIT_OK = 0;
/** `verify` only: the nodes differ. */
export const TOOL_EXIT_DIFFERENT = 1;
/** Bad command line, unreadable or invalid config, unknown link name. */
export const TOOL_EXIT_USAGE = 2;
/** The operation could not complete: a node could not be reached or read, or an unexpected error. */
export const TOOL_EXIT_FAILED = 3;
/** Interrupted by SIGINT/SIGTERM before it finished (128 + SIGINT, as shells report it). */
export const TOOL_EXIT_INTERRUPTED = 130;
