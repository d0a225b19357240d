import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// BENCH_EMULATOR_BIN runs another build's emulator (e.g. a checkout of main) for before/after comparisons.
const BIN = process.env.BENCH_EMULATOR_BIN || fileURLToPath(new URL('../../../bin/esdb-linker.js', import.meta.url));

export interface EmulatorProcess {
  connectionString: string;
  pid: number;
  /** Resolves once the process has exited (for whatever reason). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/**
 * An emulator in its own process (`esdb-linker emulator --port 0`), so a benchmark measures the link,
 * not the link and the server sharing one event loop. The connection string is the first `esdb://`
 * address the command prints.
 */
export async function startEmulatorProcess(extraArgs: string[] = [], timeoutMs = 20_000): Promise<EmulatorProcess> {
  // e.g. BENCH_EMULATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" to profile the emulators too.
  const nodeArgs = (process.env.BENCH_EMULATOR_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, BIN, 'emulator', '--port', '0', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const connectionString = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`emulator did not print a connection string within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const m = /esdb:\/\/[^\s"',]+/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`emulator exited with code ${code} before listening:\n${output}`));
    });
  });
  // Keep draining its output so a chatty emulator never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    connectionString,
    pid: child.pid ?? -1,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
