import { test } from 'node:test';
import { runClusterScenario } from '../helpers/cluster-scenario.js';
import { redisServerMissing, startRedis } from '../helpers/redis-server.js';

const missing = await redisServerMissing();

test(
  'cluster on a Redis coordinator: spread, SIGKILL failover, SIGTERM handoff, SIGSTOP, outage; exact replicas',
  { skip: missing },
  async (t) => {
    const figures = await runClusterScenario(t, async (tt) => {
      const redis = await startRedis();
      tt.after(() => redis.dispose());
      return {
        cluster: { coordination: 'redis', redis: redis.url },
        nodes: [],
        // Killed, then restarted empty on the same port: every lease is gone and is taken again.
        outage: () => redis.stop(true),
        restore: () => redis.start(),
      };
    });
    t.diagnostic(`redis figures (ms): ${JSON.stringify(figures)}`);
  },
);
