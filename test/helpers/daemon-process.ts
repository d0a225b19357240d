import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

/** bin/esdb-linker.js, found from this compiled file (dist/test/helpers/daemon-process.js). */
export const BIN = fileURLToPath(new URL('../../../bin/esdb-linker.js', import.meta.url));

export interface TempConfig {
  path: string;
  remove(): Promise<void>;
}

/** Writes a JSON config into a fresh directory under the OS temp dir. */
export async function writeTempConfig(config: unknown, fileName = 'esdb-linker.json'): Promise<TempConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'esdb-linker-test-'));
  const path = join(dir, fileName);
  await writeFile(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned `esdb-linker` with its output collected (JSON log lines parsed when they parse). */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitResult>;
  stdout(): string;
  stderr(): string;
  logs(): Record<string, unknown>[];
  /** Resolves with the first log line matching, or rejects after `timeoutMs` naming what was awaited. */
  waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<Record<string, unknown>>;
  kill(signal?: NodeJS.Signals): void;
}

export function spawnCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; onStdout?: (chunk: string) => void } = {},
): CliProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const parsed: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    out += chunk;
    options.onStdout?.(chunk);
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const obj: unknown = JSON.parse(line);
        if (obj && typeof obj === 'object') parsed.push(obj as Record<string, unknown>);
      } catch {
        // not a JSON log line
      }
    }
  });
  child.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  // 'close', not 'exit': 'exit' can come before the last chunks of stdout/stderr were read.
  const exited = new Promise<ExitResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    logs: () => parsed,
    async waitForLog(match, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = parsed.find(match);
        if (found) return found;
        if (done) throw new Error(`process exited before logging ${what}\nstdout:\n${out}\nstderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`no log line for ${what} within ${timeoutMs} ms\nstderr:\n${err}`);
        await delay(50);
      }
    },
    kill(signal = 'SIGTERM') {
      if (!done) child.kill(signal);
    },
  };
}

/** Tracks every child a test starts so `t.after` can SIGKILL whatever is still running. */
export class ChildTracker {
  private readonly children = new Set<CliProcess>();

  spawn(args: string[], options: { env?: NodeJS.ProcessEnv } = {}): CliProcess {
    const p = spawnCli(args, options);
    this.children.add(p);
    void p.exited.then(() => this.children.delete(p));
    return p;
  }

  async killAll(): Promise<void> {
    const running = [...this.children];
    for (const p of running) p.kill('SIGKILL');
    await Promise.all(running.map((p) => p.exited));
  }
}

/** Resolves with the exit, or rejects when the process is still running after `timeoutMs`. */
export async function exitWithin(p: CliProcess, timeoutMs: number, what: string): Promise<ExitResult> {
  const cancel = new AbortController();
  const timeout = delay(timeoutMs, 'timeout' as const, { signal: cancel.signal }).catch(() => 'cancelled' as const);
  const result = await Promise.race([p.exited, timeout]);
  cancel.abort();
  if (result === 'timeout' || result === 'cancelled') {
    throw new Error(
      `${what}: still running after ${timeoutMs} ms\nstdout tail:\n${p.stdout().slice(-3000)}\nstderr:\n${p.stderr()}`,
    );
  }
  return result;
}

/** Polls `check` until it returns true; rejects with `what` after `timeoutMs` (a safety net, not a timing assertion). */
export async function eventually(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(100);
  }
}
