import { parseConnectionString } from '@eventstore/db-client/dist/Client/parseConnectionString.js';

/** The client's node preferences, spelled as its connection-string parser accepts them. */
export const NODE_PREFERENCES = ['leader', 'follower', 'random', 'read_only_replica'] as const;
export type NodePreference = (typeof NODE_PREFERENCES)[number];

export interface AppliedPreference {
  /** The connection string carrying the preference (unchanged when it already says the same). */
  value: string;
  error?: string;
  warning?: string;
}

/**
 * Puts a node's `nodePreference` into its connection string as the client's `nodePreference` query key, so
 * gossip discovery picks that kind of member. The string is already known to parse. A string that names a
 * different preference is a conflict; a single-host `esdb://` string does no discovery, so the preference would
 * be ignored by the client (a warning says so).
 */
export function applyNodePreference(connectionString: string, preference: NodePreference): AppliedPreference {
  const parsed = parseConnectionString(connectionString) as {
    dnsDiscover: boolean;
    hosts: unknown[];
    nodePreference?: string;
  };
  if (parsed.nodePreference !== undefined && parsed.nodePreference !== preference) {
    return {
      value: connectionString,
      error: `says nodePreference=${parsed.nodePreference} but the node sets nodePreference "${preference}"; keep one`,
    };
  }
  const warning =
    !parsed.dnsDiscover && parsed.hosts.length === 1
      ? `nodePreference "${preference}" has no effect on a single-host esdb:// connection string (the client connects to that host directly, without gossip); list every cluster member or use esdb+discover://`
      : undefined;
  if (parsed.nodePreference === preference) return { value: connectionString, ...(warning ? { warning } : {}) };
  const separator = connectionString.includes('?') ? (/[?&]$/.test(connectionString) ? '' : '&') : '?';
  return { value: `${connectionString}${separator}nodePreference=${preference}`, ...(warning ? { warning } : {}) };
}
