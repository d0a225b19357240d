import { redactConnectionString } from '../shared/redact.js';
import type { ResolvedConfig } from './config-types.js';

/** A copy of the resolved config safe to print: connection strings lose credentials, the HTTP token is masked. */
export function redactConfig(config: ResolvedConfig): unknown {
  return {
    ...config,
    nodes: config.nodes.map((n) => ({ ...n, connectionString: redactConnectionString(n.connectionString) })),
    cluster:
      config.cluster === null
        ? null
        : {
            ...config.cluster,
            redisUrl: config.cluster.redisUrl === null ? null : redactConnectionString(config.cluster.redisUrl),
          },
    http: config.http === null ? null : { ...config.http, token: config.http.token === undefined ? undefined : '***' },
  };
}
