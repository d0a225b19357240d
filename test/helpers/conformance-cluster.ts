// The cluster a cluster conformance test talks to, without any event-store client: an in-process emulated
// three-node cluster by default (secure with `{ secure: ... }`), or the real cluster named by ESDB_CLUSTER_URL
// (ESDB_SECURE_CLUSTER_URL for the secure cases). Gossip and Operations are called over plain grpc-js with the
// emulator's own protos (no generated client classes), so both clients' tests can use it; over TLS with the
// connection string's tlsCAFile, and with its credentials unless a test names others.
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type ChannelCredentials,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import type { ClusterOptions, EmulatorCluster } from '../../src/emulator/cluster/index.js';
import { startCluster } from '../../src/emulator/index.js';
import { loadPackageDefinition as loadEmulatorProtos } from '../../src/emulator/protos.js';
import { VNodeState, type VNodeStateName } from '../../src/emulator/node/vnode-state.js';
import { waitUntil } from './conformance-server.js';

/** A real cluster under test (several hosts, `tls=false`), when set. */
export const EXTERNAL_CLUSTER_URL: string | undefined = process.env.ESDB_CLUSTER_URL?.trim() || undefined;

/** A real secure cluster under test: admin's connection string naming every node, `tls=true&tlsCAFile=...`. */
export const EXTERNAL_SECURE_CLUSTER_URL: string | undefined = process.env.ESDB_SECURE_CLUSTER_URL?.trim() || undefined;
/** `NAME:PASSWORD` of a user of the real secure cluster that is in neither `$admins` nor `$ops`. */
const EXTERNAL_PLAIN_USER: string | undefined = process.env.ESDB_SECURE_CLUSTER_USER?.trim() || undefined;

/** The plain user the emulated secure cluster gets (`--user` style). */
const EMULATED_PLAIN_USER = 'plain:plain-secret';

export function clusterEmulatorOnly(what: string): string | undefined {
  return EXTERNAL_CLUSTER_URL !== undefined ? `ESDB_CLUSTER_URL is set: ${what} needs the emulated cluster` : undefined;
}

export function secureClusterEmulatorOnly(what: string): string | undefined {
  return EXTERNAL_SECURE_CLUSTER_URL !== undefined
    ? `ESDB_SECURE_CLUSTER_URL is set: ${what} needs the emulated cluster`
    : undefined;
}

/** Credentials for a raw call: a user and password, or none at all (anonymous). */
export type CallAuth = { readonly user: string; readonly password: string } | 'anonymous';

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
  /** Operations.<method> on one node, as the connection string's user unless `auth` says otherwise. */
  operation(node: { host: string; port: number }, method: 'ResignNode' | 'Shutdown', auth?: CallAuth): Promise<void>;
  /** The connection string with that node alone (same credentials and TLS options). */
  single(node: { host: string; port: number }): string;
  /** The connection string as another user (`undefined`: no credentials). */
  as(user: string | undefined, password?: string): string;
  /** A user in neither `$admins` nor `$ops` (secure targets; undefined when the real cluster names none). */
  readonly plainUser: { user: string; password: string } | undefined;
  /** Runs `cleanup` when the test ends, before the cluster stops. */
  addCleanup(cleanup: () => unknown): void;
}

type RawClient = Client & Record<string, (req: unknown, cb: (err: ServiceError | null, res: unknown) => void) => void>;
type ClientCtor = new (address: string, creds: ChannelCredentials) => RawClient;

function ctor(name: string): ClientCtor {
  const grpc = loadPackageDefinition(loadEmulatorProtos()) as unknown as Record<string, unknown>;
  let value: unknown = grpc;
  for (const part of name.split('.')) value = (value as Record<string, unknown>)[part];
  return value as ClientCtor;
}

interface Transport {
  readonly channel: () => ChannelCredentials;
  readonly auth: CallAuth;
}

async function unary(
  type: string,
  method: string,
  node: { host: string; port: number },
  transport: Transport,
): Promise<unknown> {
  const Ctor = ctor(type);
  const client = new Ctor(`${node.host}:${node.port}`, transport.channel());
  const metadata = new Metadata();
  const auth = transport.auth;
  if (auth !== 'anonymous') {
    metadata.set('authorization', `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`);
  }
  try {
    return await new Promise((resolve, reject) => {
      (
        client[method] as unknown as (r: unknown, m: Metadata, cb: (e: ServiceError | null, r: unknown) => void) => void
      )({}, metadata, (err, res) => (err ? reject(err) : resolve(res)));
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

interface ParsedConnectionString {
  readonly scheme: string;
  readonly auth: CallAuth;
  readonly seeds: { host: string; port: number }[];
  /** `?...` (possibly empty). */
  readonly query: string;
  readonly caFile: string | undefined;
  readonly tls: boolean;
}

function parse(connectionString: string): ParsedConnectionString {
  const m = /^(esdb(?:\+discover)?:\/\/)(?:([^@/]*)@)?([^/?]+)\/?(\?.*)?$/.exec(connectionString);
  if (!m) throw new Error(`cannot read the hosts of ${connectionString}`);
  const seeds = m[3]!.split(',').map((hp) => {
    const [host, port] = hp.split(':');
    return { host: host!, port: Number(port ?? 2113) };
  });
  const query = m[4] ?? '';
  const params = new URLSearchParams(query.slice(1));
  const userInfo = m[2];
  const colon = userInfo?.indexOf(':') ?? -1;
  const auth: CallAuth =
    userInfo === undefined || colon < 0
      ? 'anonymous'
      : {
          user: decodeURIComponent(userInfo.slice(0, colon)),
          password: decodeURIComponent(userInfo.slice(colon + 1)),
        };
  return {
    scheme: m[1]!,
    auth,
    seeds,
    query,
    caFile: params.get('tlsCAFile') ?? undefined,
    tls: (params.get('tls') ?? 'true').toLowerCase() !== 'false',
  };
}

function channelFor(parsed: ParsedConnectionString): () => ChannelCredentials {
  return () =>
    parsed.tls
      ? credentials.createSsl(parsed.caFile === undefined ? null : readFileSync(parsed.caFile))
      : credentials.createInsecure();
}

/**
 * `Operations.<method>` on one node of the cluster `connectionString` names, over its TLS settings and as its
 * user unless `auth` says otherwise (for tests that hold an `EmulatorCluster` rather than a `ClusterTarget`).
 */
export async function operationOn(
  connectionString: string,
  node: { host: string; port: number },
  method: 'ResignNode' | 'Shutdown',
  auth?: CallAuth,
): Promise<void> {
  const parsed = parse(connectionString);
  await unary('event_store.client.operations.Operations', method, node, {
    channel: channelFor(parsed),
    auth: auth ?? parsed.auth,
  });
}

function userInfoOf(user: string | undefined, password: string): string {
  return user === undefined ? '' : `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`;
}

export async function openCluster(t: TestContext, options: ClusterOptions = {}): Promise<ClusterTarget> {
  const cleanups: (() => unknown)[] = [];
  let cluster: EmulatorCluster | undefined;
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    await cluster?.stop();
  });
  const secure = options.secure !== undefined && options.secure !== false;
  const external = secure ? EXTERNAL_SECURE_CLUSTER_URL : EXTERNAL_CLUSTER_URL;
  if (external === undefined) {
    const extraUsers = typeof options.secure === 'object' ? (options.secure.users ?? []) : [];
    cluster = await startCluster({
      nodes: 3,
      ...options,
      ...(secure
        ? {
            secure: { ...(options.secure === true ? {} : options.secure), users: [...extraUsers, EMULATED_PLAIN_USER] },
          }
        : {}),
    });
  }
  const connectionString = external ?? cluster!.connectionString;
  const parsed = parse(connectionString);
  const seeds = parsed.seeds;
  const channel = channelFor(parsed);
  const plainSpec = external === undefined ? EMULATED_PLAIN_USER : EXTERNAL_PLAIN_USER;
  const plainUser =
    secure && plainSpec !== undefined
      ? { user: plainSpec.slice(0, plainSpec.indexOf(':')), password: plainSpec.slice(plainSpec.indexOf(':') + 1) }
      : undefined;
  const gossip = async (seed?: { host: string; port: number }): Promise<GossipEntry[]> => {
    let lastError: unknown;
    for (const s of seed === undefined ? seeds : [seed]) {
      try {
        // Gossip is anonymous on the real server; the clients call it without credentials.
        const info = (await unary('event_store.client.gossip.Gossip', 'Read', s, { channel, auth: 'anonymous' })) as {
          members: RawMember[];
        };
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
    operation: (node, method, auth) => operationOn(connectionString, node, method, auth),
    single: (node) =>
      connectionString.replace(/^(esdb(?:\+discover)?:\/\/(?:[^@/]*@)?)[^/?]+/, `$1${node.host}:${node.port}`),
    as: (user, password = 'changeit') =>
      `${parsed.scheme}${userInfoOf(user, password)}${seeds.map((s) => `${s.host}:${s.port}`).join(',')}${parsed.query}`,
    plainUser,
    addCleanup: (cleanup) => cleanups.push(cleanup),
  };
}

export { waitUntil };
