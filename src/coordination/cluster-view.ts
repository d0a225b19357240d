import type { ResolvedLinkOptions } from '../link/link-options.js';
import type { LinkStatus } from '../link/link-status.js';
import type { ClusterLinkStatus, ClusterView } from '../observability/status-types.js';
import type { ClusterMember } from './cluster-member.js';

/** A link nobody runs right now: its identity and zero figures. */
function unowned(options: ResolvedLinkOptions): LinkStatus {
  return {
    name: options.name,
    origin: options.origin,
    destination: options.destination,
    state: 'idle',
    phase: 'catch-up',
    stalled: false,
    retrying: false,
    caughtUp: false,
    checkpoint: null,
    lastReadPosition: null,
    eventsReplicated: 0,
    bytesReplicated: 0,
    eventsSkipped: 0,
    conflicts: 0,
    retries: 0,
    lagEvents: 0,
    lagSeconds: 0,
    rate: 0,
    batchSize: 0,
    buffer: { events: 0, bytes: 0, maxEvents: options.buffer.maxEvents, maxBytes: options.buffer.maxBytes },
    lastError: null,
    startedAt: null,
  };
}

function looksLikeStatus(value: unknown, name: string): value is LinkStatus {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === name;
}

/**
 * Every link of the config as this member sees the cluster: its own links from their live status, the others
 * from the status their owner last published in its heartbeat (so any member shows the whole cluster).
 */
export function clusterStatus(
  member: ClusterMember,
  configLinks: readonly ResolvedLinkOptions[],
  local: (name: string) => LinkStatus | undefined,
  nowMs: number,
  coordination: { engine: string; location: string; clusterName: string },
): { cluster: ClusterView; links: ClusterLinkStatus[] } {
  const live = member.liveMembers();
  const owners = new Map<string, { id: string; status: unknown; paused: boolean }>();
  for (const m of live) {
    if (m.record.id === member.id) continue;
    for (const link of m.record.links) {
      const paused = (m.record.paused ?? []).includes(link);
      owners.set(link, { id: m.record.id, status: m.record.linkStatus[link], paused });
    }
  }
  const held = new Set(member.heldLinks());
  const paused = new Set(member.pausedLinks());
  const links = configLinks.map((options): ClusterLinkStatus => {
    if (held.has(options.name)) {
      const isPaused = paused.has(options.name);
      const s = (isPaused ? undefined : local(options.name)) ?? unowned(options);
      const state = isPaused ? ('stopped' as const) : s.state;
      return { ...s, state, owner: member.id, epoch: member.epochOf(options.name), paused: isPaused };
    }
    const remote = owners.get(options.name);
    if (remote) {
      const s = !remote.paused && looksLikeStatus(remote.status, options.name) ? remote.status : unowned(options);
      const state = remote.paused ? ('stopped' as const) : s.state;
      return { ...s, state, owner: remote.id, epoch: null, paused: remote.paused };
    }
    return { ...unowned(options), owner: null, epoch: null, paused: false };
  });
  const self = {
    id: member.id,
    links: [...held].sort(),
    url: null as string | null,
    lastSeen: new Date(nowMs).toISOString(),
  };
  const others = live
    .filter((m) => m.record.id !== member.id)
    .map((m) => ({
      id: m.record.id,
      links: [...m.record.links].sort(),
      url: m.record.url,
      lastSeen: new Date(nowMs - m.silentMs).toISOString(),
    }));
  const health = member.coordinator();
  return {
    cluster: {
      name: coordination.clusterName,
      member: member.id,
      coordination: coordination.engine,
      coordinator: { location: coordination.location, ...health },
      members: [self, ...others].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    },
    links,
  };
}
