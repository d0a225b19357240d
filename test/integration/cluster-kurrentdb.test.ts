import { test } from 'node:test';
import { runClusterScenario, TIMINGS } from '../helpers/cluster-scenario.js';
import { startNode } from '../helpers/nodes.js';

test('cluster on a KurrentDB coordinator: spread, SIGKILL failover, SIGTERM handoff, SIGSTOP, outage; exact replicas', async (t) => {
  const figures = await runClusterScenario(t, async (tt) => {
    const coord = await startNode(2, 'coord');
    tt.after(() => coord.stop());
    return {
      cluster: { coordination: 'kurrentdb', node: 'coord' },
      nodes: [coord],
      // The emulator answers every call with "unavailable" for a while, as a node that is down.
      outage: async () => coord.emulator?.faults.unavailableFor(TIMINGS.giveUpAfterMs + 2_500),
      restore: async () => coord.emulator?.faults.reset(),
    };
  });
  t.diagnostic(`kurrentdb figures (ms): ${JSON.stringify(figures)}`);
});
