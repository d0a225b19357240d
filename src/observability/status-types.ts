import type { LinkStatus } from '../link/link-status.js';

/** What /api/status returns and the status page renders. Connection strings are always redacted. */
export interface DaemonStatus {
  version: string;
  startedAt: string;
  /** True while every link runs and none is stalled or failed. */
  ready: boolean;
  nodes: { name: string; connectionString: string }[];
  /** In cluster mode every link of the config, each with its `owner` (null while unowned). */
  links: ClusterLinkStatus[];
  /** Present in cluster mode. */
  cluster?: ClusterView;
  /** Recent errors over all links, newest first (bounded). */
  recentErrors: { link: string; code: string; message: string; at: string }[];
}

/** A link's status as any member shows it: its owner's latest figures. */
export type ClusterLinkStatus = LinkStatus & {
  /** The member holding the link's lease; null while nobody does; absent outside cluster mode. */
  owner?: string | null;
  /** The lease epoch the owner holds it under. */
  epoch?: number | null;
  /** Stopped by `esdb-linker link pause` (its owner keeps the lease, so nobody else runs it). */
  paused?: boolean;
};

export interface ClusterMemberView {
  id: string;
  /** Links the member holds. */
  links: string[];
  /** Its HTTP URL, when it has an endpoint. */
  url: string | null;
  /** When this member last saw it heartbeat (this member's clock). */
  lastSeen: string;
}

export interface ClusterView {
  name: string;
  /** This process. */
  member: string;
  coordination: string;
  coordinator: { location: string; reachable: boolean; lastError: string | null };
  /** Every live member, this one included. */
  members: ClusterMemberView[];
}
