import type { LinkStatus } from '../link/link-status.js';

/** What /api/status returns and the status page renders. Connection strings are always redacted. */
export interface DaemonStatus {
  version: string;
  startedAt: string;
  /** True while every link runs and none is stalled or failed. */
  ready: boolean;
  nodes: { name: string; connectionString: string }[];
  links: LinkStatus[];
  /** Recent errors over all links, newest first (bounded). */
  recentErrors: { link: string; code: string; message: string; at: string }[];
}
