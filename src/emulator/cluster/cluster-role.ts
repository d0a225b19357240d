import type { Metadata } from '@grpc/grpc-js';
import { notLeaderOrNotReady, requiresLeader, type GossipMember, type NodeRole } from '../node/node-role.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import type { Member } from './member.js';

export interface ClusterView {
  leader(): Member | undefined;
  members(): readonly GossipMember[];
}

/**
 * What one member refuses, as the real server's `ClusterVNodeController` does (reference table 2.3): a follower
 * forwards writes unless the call requires the leader; without a leader, writes and leader-requiring reads are
 * NotReady; a node that is shutting down serves nothing.
 */
export function clusterRole(self: Member, cluster: ClusterView): NodeRole {
  return {
    checkWrite(metadata: Metadata): RpcError | undefined {
      if (!self.isServing) return rpcErrors.unavailable();
      if (self.state === 'Leader') return undefined;
      const leader = cluster.leader();
      if (self.state !== 'Follower' || leader === undefined) return rpcErrors.unavailable();
      return requiresLeader(metadata) ? rpcErrors.notLeader(leader.host, leader.port) : undefined;
    },
    checkRead(metadata: Metadata): RpcError | undefined {
      if (!self.isServing) return rpcErrors.unavailable();
      if (!requiresLeader(metadata) || self.state === 'Leader') return undefined;
      return notLeaderOrNotReady(cluster.leader());
    },
    members: () => cluster.members(),
  };
}
