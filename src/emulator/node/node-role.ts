import type { Metadata } from '@grpc/grpc-js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import type { VNodeStateName } from './vnode-state.js';

/** One member as gossip reports it. */
export interface GossipMember {
  readonly instanceId: string;
  readonly state: VNodeStateName;
  readonly isAlive: boolean;
  readonly host: string;
  readonly port: number;
}

/**
 * What a node's role allows, asked by every handler before it touches the log. `undefined` means "serve it
 * here"; a follower forwarding a write to the leader is the same thing in process, because every node of an
 * emulated cluster shares one log.
 */
export interface NodeRole {
  /** Append, BatchAppend, Delete, Tombstone. */
  checkWrite(metadata: Metadata): RpcError | undefined;
  /** Reads and subscriptions. */
  checkRead(metadata: Metadata): RpcError | undefined;
  /** Every member of the cluster this node knows (gossip). */
  members(): readonly GossipMember[];
}

/**
 * The `requires-leader` header as the real server parses it (`bool.TryParse`): absent, empty or unparsable is
 * false.
 */
export function requiresLeader(metadata: Metadata): boolean {
  const value = metadata.get('requires-leader')[0];
  return typeof value === 'string' && value.trim().toLowerCase() === 'true';
}

/** A lone node: always the leader, so nothing is refused. */
export function standaloneRole(self: () => Omit<GossipMember, 'state' | 'isAlive'>): NodeRole {
  return {
    checkWrite: () => undefined,
    checkRead: () => undefined,
    members: () => [{ ...self(), state: 'Leader', isAlive: true }],
  };
}

/** NotLeader when a leader is known, NotReady otherwise (the real server's `LeaderInfo` / `NotReady`). */
export function notLeaderOrNotReady(leader: { host: string; port: number } | undefined): RpcError {
  return leader === undefined ? rpcErrors.unavailable() : rpcErrors.notLeader(leader.host, leader.port);
}
