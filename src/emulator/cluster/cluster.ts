import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { LinkerError } from '../../shared/errors.js';
import { silentLogger } from '../../observability/logger.js';
import { bindAddress, startNodeServer } from '../node/node-server.js';
import { checkMaxAppendSize, checkPort } from '../option-checks.js';
import {
  connectionStringFor,
  securityMaterialFor,
  storeSecurity,
  type SecurityMaterial,
  type StoreSecurity,
} from '../security/secure-mode.js';
import { openStore, type OpenedStore } from '../store/open-store.js';
import type { ClusterNode, ClusterOptions, EmulatorCluster } from './cluster-api.js';
import { clusterRole } from './cluster-role.js';
import { chooseLeader, hasQuorum } from './election.js';
import { writeEpoch } from './epoch-writer.js';
import { gossipView } from './gossip-view.js';
import { Member } from './member.js';
import { operationsService } from './operations-service.js';

const DEFAULT_NODES = 3;
const MAX_NODES = 9;
const DEFAULT_ELECTION_MS = 500;
const DEFAULT_WAIT_MS = 10_000;

type Lifecycle = 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Starts an emulated cluster: N gRPC servers over ONE log, so every position is the same on every node (the
 * real server's replication gives the same result). Elections, resignations and shutdowns change roles only;
 * the log never forks.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<EmulatorCluster> {
  const size = options.nodes ?? DEFAULT_NODES;
  if (!Number.isInteger(size) || size < 1 || size > MAX_NODES) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      `emulator cluster size must be an integer from 1 to ${MAX_NODES}, got ${String(options.nodes)}`,
    );
  }
  const electionMs = options.electionMs ?? DEFAULT_ELECTION_MS;
  if (!Number.isInteger(electionMs) || electionMs < 0 || electionMs > 60_000) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      `emulator electionMs must be an integer from 0 to 60000, got ${String(options.electionMs)}`,
    );
  }
  const ports = clusterPorts(size, options);
  const maxAppendSize = checkMaxAppendSize(options.maxAppendSize);
  const host = options.host ?? '127.0.0.1';
  const logger: Logger = options.logger ?? silentLogger();
  // Before the log opens, so a bad certificate option leaves no data-directory lock behind.
  const material = await securityMaterialFor(options.secure, { host, dataDir: options.dataDir });
  const controller = new ClusterController({ size, host, ports, electionMs, maxAppendSize, logger, material, options });
  try {
    await controller.start();
  } catch (err) {
    await controller.stop();
    throw err;
  }
  return controller.api();
}

function clusterPorts(size: number, options: ClusterOptions): number[] {
  if (options.ports !== undefined) {
    if (options.ports.length !== size) {
      throw new LinkerError(
        'ESDBL_EMULATOR_BAD_OPTION',
        `emulator cluster of ${size} nodes needs ${size} ports, got ${options.ports.length}`,
      );
    }
    return options.ports.map((p, i) => checkPort(p, `emulator port of node ${i}`));
  }
  const first = checkPort(options.port ?? 0);
  if (first === 0) return new Array<number>(size).fill(0);
  return Array.from({ length: size }, (_, i) => checkPort(first + i, `emulator port of node ${i}`));
}

interface ControllerSettings {
  readonly size: number;
  readonly host: string;
  readonly ports: readonly number[];
  readonly electionMs: number;
  readonly maxAppendSize: number;
  readonly logger: Logger;
  readonly material: SecurityMaterial | undefined;
  readonly options: ClusterOptions;
}

/** Owns the members, the shared log and every role change (elections, resignations, shutdowns, restarts). */
class ClusterController {
  private readonly members: Member[];
  private readonly opened: OpenedStore;
  private readonly size: number;
  private readonly host: string;
  private readonly electionMs: number;
  private readonly maxAppendSize: number;
  private readonly logger: Logger;
  private readonly options: ClusterOptions;
  private readonly material: SecurityMaterial | undefined;
  private readonly security: StoreSecurity;
  private leaderMember: Member | undefined;
  private electionTimer: NodeJS.Timeout | undefined;
  private pendingAvoid: Member | undefined;
  private state: Lifecycle = 'starting';
  private readonly leaderWaiters = new Set<() => void>();
  private stopping: Promise<void> | undefined;

  constructor(settings: ControllerSettings) {
    ({
      size: this.size,
      host: this.host,
      electionMs: this.electionMs,
      maxAppendSize: this.maxAppendSize,
      logger: this.logger,
      material: this.material,
      options: this.options,
    } = settings);
    this.members = settings.ports.map((port, i) => new Member(i, this.host, port, randomUUID()));
    this.opened = openStore(this.options.dataDir, this.logger);
    // DEVIATION (documented): every node presents the same node certificate and sees user and ACL changes at
    // once; real nodes usually have one certificate each and see `$settings` once it has replicated.
    this.security = storeSecurity(this.material, this.opened.store);
  }

  async start(): Promise<void> {
    for (const m of this.members) await this.listen(m);
    this.state = 'running';
    // The first leader is elected at once: the ready line means writes work.
    this.finishElection();
    this.logger.info(
      { ports: this.members.map((m) => m.port), dataDir: this.options.dataDir },
      'emulator cluster listening',
    );
  }

  api(): EmulatorCluster {
    const nodes = this.members.map((m) => this.publicNode(m));
    return {
      nodes,
      connectionString: connectionStringFor(
        this.members.map((m) => bindAddress(m.host, m.port)),
        this.material,
      ),
      security: this.security.info,
      leader: () => (this.leaderMember === undefined ? undefined : nodes[this.leaderMember.index]),
      waitForLeader: async (timeoutMs = DEFAULT_WAIT_MS) => nodes[(await this.waitForLeader(timeoutMs)).index]!,
      resignNode: (index) => this.resign(this.member(index)),
      resignLeader: async () => {
        const leader = await this.waitForLeader(DEFAULT_WAIT_MS);
        this.resign(leader);
        return nodes[(await this.waitForLeader(DEFAULT_WAIT_MS)).index]!;
      },
      shutdownNode: (index) => this.shutdown(this.member(index)),
      restartNode: (index) => this.restart(this.member(index)),
      stop: () => this.stop(),
    };
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopping';
      clearTimeout(this.electionTimer);
      this.electionTimer = undefined;
      await Promise.all(this.members.map((m) => m.server?.close(true) ?? Promise.resolve()));
      this.opened.close();
      this.state = 'stopped';
      for (const wake of [...this.leaderWaiters]) wake();
      this.logger.info({ state: this.state }, 'emulator cluster stopped');
    })();
    return this.stopping;
  }

  private publicNode(m: Member): ClusterNode {
    const material = this.material;
    return {
      index: m.index,
      host: m.host,
      get port() {
        return m.port;
      },
      get connectionString() {
        return connectionStringFor([bindAddress(m.host, m.port)], material);
      },
      instanceId: m.instanceId,
      get state() {
        return m.state;
      },
      get isAlive() {
        return m.isAlive;
      },
      get faults() {
        if (m.server === undefined)
          throw new LinkerError('ESDBL_EMULATOR_STATE', `emulator node ${m.index} has no server`);
        return m.server.faults;
      },
    };
  }

  private member(index: number): Member {
    const m = this.members[index];
    if (m === undefined) {
      throw new LinkerError(
        'ESDBL_EMULATOR_BAD_OPTION',
        `emulator cluster has nodes 0 to ${this.size - 1}, got node ${String(index)}`,
      );
    }
    return m;
  }

  private async listen(m: Member): Promise<void> {
    const view = { leader: () => this.leaderMember, members: () => gossipView(this.members) };
    m.server = await startNodeServer({
      host: this.host,
      port: m.port,
      store: this.opened.store,
      role: () => clusterRole(m, view),
      logger: this.logger.child({ node: m.index }),
      maxAppendSize: this.maxAppendSize,
      batchAppend: this.options.batchAppend ?? true,
      credentials: this.security.credentials,
      callSecurity: this.security.calls,
      operations: operationsService(
        { resign: () => this.resign(m), shutdown: () => this.shutdown(m) },
        this.security.calls,
      ),
    });
    // A fixed port stays; a free one is kept for restarts.
    m.port = m.server.port;
    m.moveTo('Unknown');
  }

  private resign(m: Member): void {
    // The real server ignores ResignNode on a node that is not the leader.
    if (this.state !== 'running' || m !== this.leaderMember) return;
    this.logger.info({ node: m.index }, 'emulator leader resigning');
    m.moveTo('ResigningLeader');
    this.startElection(m);
  }

  private async shutdown(m: Member): Promise<void> {
    if (this.state !== 'running' || !m.isServing) return;
    this.logger.info({ node: m.index, state: m.state }, 'emulator node shutting down');
    const wasLeader = m === this.leaderMember;
    m.moveTo('ShuttingDown');
    if (wasLeader) this.leaderMember = undefined;
    await m.server?.close(false);
    m.moveTo('Shutdown');
    if (this.state !== 'running') return;
    if (wasLeader || (this.leaderMember !== undefined && !this.hasQuorum())) this.startElection(undefined);
  }

  private async restart(m: Member): Promise<void> {
    if (this.state !== 'running' || m.state !== 'Shutdown') {
      throw new LinkerError(
        'ESDBL_EMULATOR_STATE',
        `emulator node ${m.index} can only restart once shut down (it is ${m.state})`,
      );
    }
    m.moveTo('Initializing');
    try {
      await this.listen(m);
    } catch (err) {
      m.moveTo('Shutdown');
      throw err;
    }
    this.logger.info({ node: m.index }, 'emulator node restarted');
    if (this.leaderMember !== undefined) m.moveTo('Follower');
    else if (this.electionTimer === undefined) this.startElection(undefined);
  }

  private hasQuorum(): boolean {
    return hasQuorum(this.members.filter((m) => m.isServing).length, this.size);
  }

  /** Every live member drops its role for `electionMs`; meanwhile there is no leader and writes are NotReady. */
  private startElection(avoid: Member | undefined): void {
    this.leaderMember = undefined;
    this.pendingAvoid = avoid ?? this.pendingAvoid;
    for (const m of this.members) if (m.state === 'Follower' || m.state === 'Leader') m.moveTo('Unknown');
    if (this.electionTimer !== undefined) return;
    this.electionTimer = setTimeout(() => {
      this.electionTimer = undefined;
      this.finishElection();
    }, this.electionMs);
  }

  private finishElection(): void {
    if (this.state !== 'running') return;
    const avoid = this.pendingAvoid;
    this.pendingAvoid = undefined;
    if (avoid?.state === 'ResigningLeader') avoid.moveTo('Unknown');
    const chosen = chooseLeader(
      this.members.map((m) => ({ index: m.index, alive: m.isServing })),
      avoid?.index,
      avoid?.index,
    );
    if (chosen === undefined) {
      this.logger.warn({ alive: this.members.filter((m) => m.isServing).length }, 'emulator cluster has no majority');
      return;
    }
    const leader = this.members[chosen]!;
    leader.moveTo('PreLeader');
    const epoch = writeEpoch(this.opened.store, leader.instanceId);
    leader.moveTo('Leader');
    for (const m of this.members) if (m !== leader && m.state === 'Unknown') m.moveTo('Follower');
    this.leaderMember = leader;
    this.logger.info({ node: leader.index, epoch }, 'emulator leader elected');
    for (const wake of [...this.leaderWaiters]) wake();
  }

  private async waitForLeader(timeoutMs: number): Promise<Member> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.leaderMember !== undefined) return this.leaderMember;
      if (this.state !== 'running') throw new LinkerError('ESDBL_EMULATOR_STATE', 'emulator cluster is not running');
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new LinkerError('ESDBL_EMULATOR_STATE', `emulator cluster elected no leader within ${timeoutMs} ms`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        function done(): void {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        }
        const waiters = this.leaderWaiters;
        waiters.add(done);
      });
    }
  }
}
