import { LinkerError } from '../shared/errors.js';

export const BAD_TIMEOUT = 'ESDBL_TOOLS_BAD_TIMEOUT';

/** `--timeout-ms` of the commands that wait on a cluster: every request is bounded, never endless. */
export function parseTimeoutMsArg(text: string): number {
  const ms = Number(text);
  if (!/^\d+$/.test(text.trim()) || ms < 100 || ms > 600_000) {
    throw new LinkerError(BAD_TIMEOUT, `--timeout-ms ${JSON.stringify(text)} must be an integer from 100 to 600000`, {
      details: { value: text },
    });
  }
  return ms;
}
