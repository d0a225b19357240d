import { spawnCli, type ExitResult } from './daemon-process.js';

export interface ToolResult extends ExitResult {
  stdout: string;
  stderr: string;
}

/** Runs a short-lived CLI command (verify, checkpoint, conflicts, demo) to its end and returns its output. */
export async function runTool(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onStdout?: (chunk: string) => void } = {},
): Promise<ToolResult> {
  const cli = spawnCli(args, options);
  // A safety net against a hung child, not a timing assertion.
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  try {
    const { code, signal } = await cli.exited;
    return { code, signal, stdout: cli.stdout(), stderr: cli.stderr() };
  } finally {
    clearTimeout(timer);
  }
}
