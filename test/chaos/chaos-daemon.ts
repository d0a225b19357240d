import type { LinkStatus } from '../../src/link/link-status.js';
import { isWarning } from '../helpers/capture-logger.js';
import { spawnCli, type CliProcess } from '../helpers/daemon-process.js';

/**
 * The daemon of a chaos run (`esdb-linker run --config`, a child process): started, killed and restarted
 * by the faults; its status read from its HTTP API (port 0, found in its log).
 */
export class ChaosDaemon {
  private process: CliProcess | undefined;
  private statusUrl: string | undefined;
  /** Log lines at warn or above, from every incarnation (the report keeps a few). */
  readonly warnings: Record<string, unknown>[] = [];
  starts = 0;

  constructor(private readonly configPath: string) {}

  async start(): Promise<void> {
    const p = spawnCli(['run', '--config', this.configPath]);
    this.process = p;
    this.starts++;
    const listening = await p.waitForLog(
      (l) => typeof l.url === 'string' && String(l.msg).startsWith('HTTP server listening'),
      30_000,
      'the HTTP server',
    );
    this.statusUrl = `${String(listening.url)}/api/status`;
    const collect = setInterval(() => this.collect(p), 1_000);
    collect.unref();
    void p.exited.then(() => {
      clearInterval(collect);
      this.collect(p);
    });
  }

  private collected = new WeakMap<CliProcess, number>();

  private collect(p: CliProcess): void {
    const lines = p.logs();
    const from = this.collected.get(p) ?? 0;
    for (const l of lines.slice(from)) if (isWarning(l)) this.warnings.push(l);
    this.collected.set(p, lines.length);
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `timeoutMs`). */
  async kill(signal: NodeJS.Signals, timeoutMs = 20_000): Promise<{ code: number | null; signal: string | null }> {
    const p = this.process;
    if (!p) return { code: null, signal: null };
    this.process = undefined;
    this.statusUrl = undefined;
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    try {
      return await p.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The links' status, or undefined while the daemon is down or not answering. */
  async links(): Promise<LinkStatus[] | undefined> {
    if (!this.statusUrl) return undefined;
    try {
      const res = await fetch(this.statusUrl, { signal: AbortSignal.timeout(2_000) });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { links?: LinkStatus[] };
      return body.links;
    } catch {
      return undefined;
    }
  }

  get running(): boolean {
    return this.process !== undefined;
  }

  stderr(): string {
    return this.process?.stderr() ?? '';
  }
}
