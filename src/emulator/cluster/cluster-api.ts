import type { Logger } from 'pino';
import type { EmulatorFaults } from '../emulator-api.js';
import type { EmulatorSecureOptions, EmulatorSecurityInfo } from '../security/secure-mode.js';
import type { VNodeStateName } from '../node/vnode-state.js';

/** Options of an emulated cluster. Every field is optional: `startCluster()` gives three memory-only nodes. */
export interface ClusterOptions {
  /** How many nodes (1 to 9). @defaultValue 3 */
  nodes?: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /**
   * Port of the first node; node i listens on `port + i`. 0 gives every node its own free port.
   * Ignored when `ports` is set. @defaultValue 0
   */
  port?: number;
  /** One port per node (0 = a free one), overriding `port`. */
  ports?: readonly number[];
  /** Directory for the cluster's one append-only log; memory only when unset. */
  dataDir?: string;
  /** Advertise BatchAppend in ServerFeatures. @defaultValue true */
  batchAppend?: boolean;
  /** The real server's MaxAppendSize. @defaultValue 1_048_576 */
  maxAppendSize?: number;
  /**
   * How long an election takes: from a leader resigning or dying to the next leader. Writes (and reads that
   * require the leader) answer UNAVAILABLE "Server Is Not Ready" meanwhile. @defaultValue 500
   */
  electionMs?: number;
  /**
   * Secure mode for every node, as `startEmulator({ secure })`: one certificate set (its SANs cover every node,
   * all on `host`), one user directory and one ACL view over the shared log. @defaultValue false
   */
  secure?: boolean | EmulatorSecureOptions;
  logger?: Logger;
}

/** One member of an emulated cluster, as a test sees it. */
export interface ClusterNode {
  readonly index: number;
  readonly host: string;
  readonly port: number;
  /**
   * `esdb://HOST:PORT?tls=false` (or the secure form with admin's credentials and `tlsCAFile`): this node alone
   * (a single-host string, so the client does not gossip).
   */
  readonly connectionString: string;
  readonly instanceId: string;
  /** Its state as gossip reports it. */
  readonly state: VNodeStateName;
  readonly isAlive: boolean;
  /** The fault hooks of the node's current server (a restart gives it a new one). */
  readonly faults: EmulatorFaults;
}

export interface EmulatorCluster {
  readonly nodes: readonly ClusterNode[];
  /**
   * `esdb://HOST:P1,HOST:P2,HOST:P3?tls=false`, or `esdb://admin:changeit@HOST:P1,...?tls=true&tlsCAFile=/abs/ca.crt`
   * when secure: every node, so the client discovers the leader by gossip.
   */
  readonly connectionString: string;
  /** The CA file and a user-certificate issuer in secure mode (shared by every node); undefined when insecure. */
  readonly security: EmulatorSecurityInfo | undefined;
  /** The current leader, or undefined during an election or without a majority. */
  leader(): ClusterNode | undefined;
  /** Resolves with the leader once there is one; rejects after `timeoutMs` (default 10 s). */
  waitForLeader(timeoutMs?: number): Promise<ClusterNode>;
  /** What `Operations.ResignNode` does on node `index`: a leader steps down and an election starts; others ignore it. */
  resignNode(index: number): void;
  /** Resigns the current leader and resolves with the next one (another node whenever one is alive). */
  resignLeader(): Promise<ClusterNode>;
  /** Stops node `index` as `Operations.Shutdown` does: its calls end with UNAVAILABLE and its server closes. */
  shutdownNode(index: number): Promise<void>;
  /** Brings a shut-down node back on its port; it rejoins as a follower (or an election starts without a leader). */
  restartNode(index: number): Promise<void>;
  /** Stops every node and closes the log. Idempotent. */
  stop(): Promise<void>;
}
