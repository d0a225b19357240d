/** One member named by a cluster connection string, with a connection string that reaches it alone. */
export interface ClusterMember {
  /** `host:port` as the connection string names it. */
  readonly endpoint: string;
  /** The same connection string (credentials, TLS options) with this host only, so the client does not gossip. */
  readonly connectionString: string;
}

const HOSTS = /^(esdb:\/\/(?:[^@/?]*@)?)([^/?]+)(.*)$/i;

/**
 * The members of an `esdb://` string naming several hosts; undefined for a single host (or `esdb+discover://`,
 * whose members only gossip knows). A pre-flight check goes to each one: the client itself talks to whichever
 * it picks, so a member with a broken certificate or a closed port would only show at the next election.
 */
export function clusterMembers(connectionString: string): ClusterMember[] | undefined {
  const m = HOSTS.exec(connectionString);
  if (m === null) return undefined;
  const [, head, list, tail] = m as unknown as [string, string, string, string];
  const hosts = list.split(',').filter((h) => h !== '');
  if (hosts.length < 2) return undefined;
  return hosts.map((endpoint) => ({ endpoint, connectionString: `${head}${endpoint}${tail}` }));
}
