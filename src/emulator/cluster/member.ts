import { LinkerError } from '../../shared/errors.js';
import type { NodeServer } from '../node/node-server.js';
import type { VNodeStateName } from '../node/vnode-state.js';

/** The states an emulated member moves through, and where each may go next. */
const TRANSITIONS: Readonly<Partial<Record<VNodeStateName, readonly VNodeStateName[]>>> = {
  Initializing: ['Unknown', 'Shutdown'],
  Unknown: ['PreLeader', 'Follower', 'ShuttingDown'],
  PreLeader: ['Leader', 'Unknown', 'ShuttingDown'],
  Leader: ['ResigningLeader', 'Unknown', 'ShuttingDown'],
  ResigningLeader: ['Unknown', 'ShuttingDown'],
  Follower: ['Unknown', 'ShuttingDown'],
  ShuttingDown: ['Shutdown'],
  Shutdown: ['Initializing'],
};

/** One node of an emulated cluster: its identity, its state machine and its current server. */
export class Member {
  private current: VNodeStateName = 'Initializing';
  server: NodeServer | undefined;

  constructor(
    readonly index: number,
    readonly host: string,
    public port: number,
    readonly instanceId: string,
  ) {}

  get state(): VNodeStateName {
    return this.current;
  }

  /** Gossip's liveness: a member is dead once it has shut down (or before its server listens). */
  get isAlive(): boolean {
    return this.current !== 'Shutdown' && this.current !== 'Initializing';
  }

  /** Serving calls at all (a node shutting down answers NotReady). */
  get isServing(): boolean {
    return this.isAlive && this.current !== 'ShuttingDown';
  }

  moveTo(next: VNodeStateName): void {
    if (this.current === next) return;
    if (!(TRANSITIONS[this.current] ?? []).includes(next)) {
      throw new LinkerError(
        'ESDBL_EMULATOR_STATE',
        `emulator node ${this.index} cannot go from ${this.current} to ${next}`,
      );
    }
    this.current = next;
  }
}
