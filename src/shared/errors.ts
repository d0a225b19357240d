/**
 * One base class for every error the project raises on purpose. Each carries a stable `code`
 * (`ESDBL_<AREA>_<NAME>`) listed in docs/errors.md; codes are never reused for a different meaning.
 */
export class LinkerError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

export function isLinkerError(err: unknown, code?: string): err is LinkerError {
  return err instanceof LinkerError && (code === undefined || err.code === code);
}

/** Best-effort message of anything thrown, for logs and status; never includes a stack. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
