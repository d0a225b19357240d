import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'redis';

/** A redis-server of the test's own on a free loopback port, which the test may stop, kill and restart. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGKILL when `hard`); `start()` brings it back on the same port, empty. */
  stop(hard?: boolean): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export function redisServerMissing(): Promise<string | false> {
  const probe = spawn('redis-server', ['--version'], { stdio: 'ignore' });
  return new Promise<string | false>((resolve) => {
    probe.on('error', () => resolve('redis-server is not installed (apt-get install redis-server)'));
    probe.on('exit', (code) => resolve(code === 0 ? false : 'redis-server --version failed'));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'esdb-linker-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    );
    child = proc;
    for (let i = 0; i < 100; i++) {
      const c = createClient({ url, socket: { reconnectStrategy: false } });
      c.on('error', () => undefined);
      try {
        await c.connect();
        await c.ping();
        await c.close();
        return;
      } catch {
        if (c.isOpen) c.destroy();
        await delay(50);
      }
    }
    throw new Error(`redis-server did not start on port ${port}`);
  }

  async function stop(hard = false): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  }

  await start();
  return {
    url,
    port,
    stop,
    start,
    async dispose() {
      await stop(true);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
