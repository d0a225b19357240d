import type { EventStoreDBClient } from '@eventstore/db-client';
import type { Logger } from 'pino';
import { redactConnectionString } from '../shared/redact.js';
import type { ClusterSettings } from './cluster-settings.js';
import type { CoordinationStore } from './coordination-store.js';
import { KurrentDbStore } from './kurrentdb-store.js';
import { RedisStore } from './redis-store.js';

/** The coordinator the settings name; the KurrentDB one shares the daemon's client of that node. */
export function createStore(
  settings: ClusterSettings,
  nodeClient: (name: string) => EventStoreDBClient,
  logger: Logger,
): CoordinationStore {
  const log = logger.child({ component: 'coordinator' });
  if (settings.coordination === 'redis') {
    const url = settings.redisUrl ?? '';
    return new RedisStore({ url, cluster: settings.name, redactedUrl: redactConnectionString(url), logger: log });
  }
  const node = settings.node ?? '';
  return new KurrentDbStore({ client: nodeClient(node), cluster: settings.name, node, logger: log });
}
