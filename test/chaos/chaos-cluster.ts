import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDBClient } from '@eventstore/db-client';
import { startEmulatorProcess, type EmulatorProcess } from '../bench/emulator-process.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { portOf } from '../helpers/proxied-node.js';

const RESTART_TIMEOUT_MS = 180_000;

/**
 * One database node of a chaos run: an `esdb-linker emulator --data DIR` process (so it can be SIGKILLed,
 * SIGSTOPped and restarted on its data), reached through two proxies on fixed ports: `faulty` (the daemon's
 * path, where network faults go) and `clean` (the writers' and verifier's path, never faulted). A restarted
 * server listens on a new port; both proxies are pointed at it.
 */
export class ChaosNode {
  private server: EmulatorProcess | undefined;
  private stopped = false;
  private client: EventStoreDBClient | undefined;

  private constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly faulty: FaultProxy,
    readonly clean: FaultProxy,
  ) {}

  static async start(name: string, seed: number): Promise<ChaosNode> {
    const dataDir = await mkdtemp(join(tmpdir(), `esdb-chaos-${name}-`));
    const server = await startEmulatorProcess(['--data', dataDir]);
    const port = portOf(server.connectionString);
    const faulty = await FaultProxy.start({ targetPort: port, seed });
    const clean = await FaultProxy.start({ targetPort: port, seed: seed + 1 });
    const node = new ChaosNode(name, dataDir, faulty, clean);
    node.server = server;
    return node;
  }

  /** The daemon's connection string (through the faulty proxy). */
  get linkConnectionString(): string {
    return this.faulty.connectionString();
  }

  /** A client on the clean path, shared by the writers and the verifier. */
  cleanClient(): EventStoreDBClient {
    this.client ??= EventStoreDBClient.connectionString(this.clean.connectionString());
    return this.client;
  }

  get pid(): number | undefined {
    return this.server?.pid;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** SIGKILL, then restart on the same data after `downMs`. */
  async crashAndRestart(downMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    process.kill(server.pid, 'SIGCONT');
    process.kill(server.pid, 'SIGKILL');
    await server.exited;
    // Connections to the dead server are gone; new ones are refused until it is back.
    this.faulty.reset();
    this.clean.reset();
    await sleep(downMs);
    if (this.stopped) return;
    // Generous: a restart replays its whole --data log, and late in an hour's run, with other nodes
    // restarting on the same two cores, that has taken over 20 s.
    const next = await startEmulatorProcess(['--data', this.dataDir], RESTART_TIMEOUT_MS);
    this.server = next;
    const port = portOf(next.connectionString);
    this.faulty.setTarget(port);
    this.clean.setTarget(port);
  }

  signal(signal: 'SIGSTOP' | 'SIGCONT'): void {
    if (this.server) process.kill(this.server.pid, signal);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signal('SIGCONT');
    this.faulty.clear();
    this.clean.clear();
    await this.client?.dispose().catch(() => {});
    await Promise.allSettled([this.faulty.stop(), this.clean.stop()]);
    await this.server?.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
