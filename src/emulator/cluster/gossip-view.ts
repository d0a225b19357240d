import type { GossipMember } from '../node/node-role.js';
import type { Member } from './member.js';

/**
 * Gossip as every node of the emulated cluster reports it. DEVIATION (documented): all nodes share one view,
 * updated at once; real gossip converges over a few gossip intervals and may disagree for a moment.
 */
export function gossipView(members: readonly Member[]): GossipMember[] {
  return members.map((m) => ({
    instanceId: m.instanceId,
    state: m.state,
    isAlive: m.isAlive,
    host: m.host,
    port: m.port,
  }));
}
