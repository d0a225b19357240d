// The cluster a cluster conformance test talks to, without any event-store client: an in-process emulated
// three-node cluster by default, or the real cluster named by ESDB_CLUSTER_URL. Gossip and Operations are called
// over plain grpc-js with the emulator's own protos (no generated client classes), so both clients' tests can
// use it.
import type { TestContext } from 'node:test';
import { credentials, loadPackageDefinition, type Client, type ServiceError } from '@grpc/grpc-js';
import type { ClusterOptions, EmulatorCluster } from '../../src/emulator/cluster/index.js';
import { startCluster } from '../../src/emulator/index.js';
import { loadPackageDefinition as loadEmulatorProtos } from '../../src/emulator/protos.js';
import { VNodeState, type VNodeStateName } from '../../src/emulator/node/vnode-state.js';
import { waitUntil } from './conformance-server.js';

/** A real cluster under test (several hosts, `tls=false`), when set. */
export const EXTERNAL_CLUSTER_URL: string | undefined = process.env.ESDB_CLUSTER_URL?.trim() || undefined;

export function clusterEmulatorOnly(what: string): string | undefined {
  return EXTERNAL_CLUSTER_URL !== undefined ? `ESDB_CLUSTER_URL is set: ${what} needs the emulated cluster` : undefined;
}

export interface GossipEntry {
  readonly instanceId: string;
  readonly state: VNodeStateName;
  readonly isAlive: boolean;
  readonly host: string;
  readonly port: number;
}

export interface ClusterTarget {
  readonly connectionString: string;
  /** The emulated cluster; undefined against ESDB_CLUSTER_URL. */
  readonly cluster: EmulatorCluster | undefined;
  /** The seeds named by the connection string. */
  readonly seeds: readonly { host: string; port: number }[];
  /** Gossip.Read on one seed (the first that answers when none is given). */
  gossip(seed?: { host: string; port: number }): Promise<GossipEntry[]>;
  /** Polls gossip until exactly one live leader shows and every live member is Leader or Follower. */
  stableLeader(timeoutMs?: number): Promise<GossipEntry>;
  /** Operations.<method> on one node. */
  operation(node: { host: string; port: number }, method: 'ResignNode' | 'Shutdown'): Promise<void>;
  /** `esdb://HOST:PORT?tls=false`: that node alone. */
  single(node: { host: string; port: number }): string;
  /** Runs `cleanup` when the test ends, before the cluster stops. */
  addCleanup(cleanup: () => unknown): void;
}

type RawClient = Client & Record<string, (req: unknown, cb: (err: ServiceError | null, res: unknown) => void) => void>;
type ClientCtor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => RawClient;

function ctor(name: string): ClientCtor {
  const grpc = loadPackageDefinition(loadEmulatorProtos()) as unknown as Record<string, unknown>;
  let value: unknown = grpc;
  for (const part of name.split('.')) value = (value as Record<string, unknown>)[part];
  return value as ClientCtor;
}

async function unary(type: string, method: string, node: { host: string; port: number }): Promise<unknown> {
  const Ctor = ctor(type);
  const client = new Ctor(`${node.host}:${node.port}`, credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) => {
      client[method]!({}, (err, res) => (err ? reject(err) : resolve(res)));
    });
  } finally {
    client.close();
  }
}

interface RawMember {
  instance_id?: { structured?: { most_significant_bits: string; least_significant_bits: string }; string?: string };
  state: number;
  is_alive: boolean;
  http_end_point: { address: string; port: number };
}

function idText(id: RawMember['instance_id']): string {
  if (id?.string) return id.string;
  const s = id?.structured;
  if (!s) return '';
  const hex = (v: string): string => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0');
  const h = hex(s.most_significant_bits) + hex(s.least_significant_bits);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const STATE_NAMES = Object.fromEntries(Object.entries(VNodeState).map(([k, v]) => [v, k])) as Record<
  number,
  VNodeStateName
>;

function seedsOf(connectionString: string): { host: string; port: number }[] {
  const m = /^esdb(?:\+discover)?:\/\/(?:[^@/]*@)?([^/?]+)/.exec(connectionString);
  if (!m) throw new Error(`cannot read the hosts of ${connectionString}`);
  return m[1]!.split(',').map((hp) => {
    const [host, port] = hp.split(':');
    return { host: host!, port: Number(port ?? 2113) };
  });
}

export async function openCluster(t: TestContext, options: ClusterOptions = {}): Promise<ClusterTarget> {
  const cleanups: (() => unknown)[] = [];
  let cluster: EmulatorCluster | undefined;
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await cluster?.stop();
  });
  if (EXTERNAL_CLUSTER_URL === undefined) cluster = await startCluster({ nodes: 3, ...options });
  const connectionString = EXTERNAL_CLUSTER_URL ?? cluster!.connectionString;
  const seeds = seedsOf(connectionString);
  const gossip = async (seed?: { host: string; port: number }): Promise<GossipEntry[]> => {
    let lastError: unknown;
    for (const s of seed === undefined ? seeds : [seed]) {
      try {
        const info = (await unary('event_store.client.gossip.Gossip', 'Read', s)) as { members: RawMember[] };
        return info.members.map((m) => ({
          instanceId: idText(m.instance_id),
          state: STATE_NAMES[m.state] ?? 'Unknown',
          isAlive: m.is_alive,
          host: m.http_end_point.address,
          port: m.http_end_point.port,
        }));
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError;
  };
  return {
    connectionString,
    cluster,
    seeds,
    gossip,
    async stableLeader(timeoutMs = 20_000) {
      let leader: GossipEntry | undefined;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const members = await gossip().catch(() => []);
        const live = members.filter((m) => m.isAlive);
        const leaders = live.filter((m) => m.state === 'Leader');
        if (leaders.length === 1 && live.every((m) => m.state === 'Leader' || m.state === 'Follower')) {
          leader = leaders[0];
          return leader!;
        }
        if (Date.now() > deadline) throw new Error(`no stable leader in gossip: ${JSON.stringify(members)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async operation(node, method) {
      await unary('event_store.client.operations.Operations', method, node);
    },
    single: (node) => `esdb://${node.host}:${node.port}?tls=false`,
    addCleanup: (cleanup) => cleanups.push(cleanup),
  };
}

export { waitUntil };
