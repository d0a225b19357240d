import type * as GrpcJs from '@grpc/grpc-js';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { clientGrpc as grpc, clientRequire } from '../client/client-grpc.js';
import { errorMessage } from '../shared/errors.js';
import { redactText } from '../shared/redact.js';

// The client's own generated Gossip service: its channel objects only work with it (and its grpc-js).
const { GossipClient } = clientRequire('../generated/gossip_grpc_pb.js') as { GossipClient: unknown };
const { Empty } = clientRequire('../generated/shared_pb.js') as { Empty: new () => unknown };
const { MemberInfo } = clientRequire('../generated/gossip_pb.js') as {
  MemberInfo: { VNodeState: Record<string, number> };
};

const GOSSIP_DEADLINE_MS = 5_000;
const STATE_NAMES = new Map(Object.entries(MemberInfo.VNodeState).map(([name, value]) => [value, name]));

interface GossipMember {
  getState(): number;
  getIsAlive(): boolean;
  getHttpEndPoint(): { getAddress(): string; getPort(): number } | undefined;
}

interface RawGossip {
  read(
    request: unknown,
    metadata: GrpcJs.Metadata,
    options: GrpcJs.CallOptions,
    callback: (error: GrpcJs.ServiceError | null, info?: { getMembersList(): GossipMember[] }) => void,
  ): void;
}

interface ExecuteInternals {
  execute(ctor: unknown, debugName: string, action: (c: RawGossip) => Promise<unknown>): Promise<unknown>;
}

export type GossipOutcome =
  | {
      readonly status: 'ok';
      /** This member's own state as its gossip reports it (`LEADER`, `FOLLOWER`, ...), when it lists itself. */
      readonly state: string | undefined;
      /** The live leader it reports, `host:port`, or undefined (an election, or no majority). */
      readonly leader: string | undefined;
      readonly alive: number;
      readonly members: number;
    }
  | { readonly status: 'unreachable'; readonly message: string };

/**
 * `Gossip.Read` on the one node a single-host client talks to, over the client's own channel (so its TLS
 * settings are the ones tested) and without credentials, as the client's discovery calls it.
 */
export async function probeGossip(client: EventStoreDBClient, endpoint: string): Promise<GossipOutcome> {
  const internals = client as unknown as Partial<ExecuteInternals>;
  if (typeof internals.execute !== 'function') {
    return { status: 'unreachable', message: '@eventstore/db-client internals changed (Client.execute not found)' };
  }
  try {
    const members = (await internals.execute(
      GossipClient,
      'preflightGossip',
      (gossip) =>
        new Promise<GossipMember[]>((resolve, reject) => {
          gossip.read(
            new Empty(),
            new grpc.Metadata(),
            { deadline: new Date(Date.now() + GOSSIP_DEADLINE_MS) },
            (error, info) => (error ? reject(error) : resolve(info?.getMembersList() ?? [])),
          );
        }),
    )) as GossipMember[];
    const named = (m: GossipMember): string | undefined => {
      const ep = m.getHttpEndPoint();
      return ep === undefined ? undefined : `${ep.getAddress()}:${ep.getPort()}`;
    };
    const self = members.find((m) => named(m) === endpoint);
    const leader = members.find((m) => m.getIsAlive() && STATE_NAMES.get(m.getState()) === 'LEADER');
    return {
      status: 'ok',
      state: self === undefined ? undefined : STATE_NAMES.get(self.getState()),
      leader: leader === undefined ? undefined : named(leader),
      alive: members.filter((m) => m.getIsAlive()).length,
      members: members.length,
    };
  } catch (err) {
    return { status: 'unreachable', message: `cannot reach the node: ${redactText(errorMessage(err))}` };
  }
}

/** One line about a member's gossip answer. */
export function describeGossip(outcome: GossipOutcome): string {
  if (outcome.status !== 'ok') return outcome.message;
  const state = outcome.state === undefined ? 'not listed in its own gossip' : outcome.state.toLowerCase();
  const leader = outcome.leader === undefined ? 'no leader' : `leader ${outcome.leader}`;
  return `${state}; ${outcome.alive} of ${outcome.members} members alive, ${leader}`;
}
