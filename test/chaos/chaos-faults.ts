import type { SeededRandom } from '../helpers/seeded-random.js';
import type { ChaosDaemon } from './chaos-daemon.js';
import type { ChaosNode } from './chaos-cluster.js';

export const DAEMON_FAULT_KINDS = ['daemon-sigkill', 'daemon-sigterm'] as const;
export const NODE_FAULT_KINDS = [
  'server-sigkill',
  'server-sigstop',
  'partition',
  'reset',
  'silent-connection',
  'destination-outage',
] as const;
export const FAULT_KINDS = [...DAEMON_FAULT_KINDS, ...NODE_FAULT_KINDS] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultDurations {
  partition: [number, number];
  outage: [number, number];
  stop: [number, number];
}

/** A long run's faults last longer (partitions and outages up to 60 s); a short run's are scaled down. */
export function faultDurations(minutes: number): FaultDurations {
  if (minutes >= 20) return { partition: [5_000, 60_000], outage: [5_000, 60_000], stop: [3_000, 20_000] };
  if (minutes >= 5) return { partition: [5_000, 20_000], outage: [5_000, 20_000], stop: [3_000, 10_000] };
  return { partition: [3_000, 5_000], outage: [3_000, 5_000], stop: [3_000, 4_000] };
}

/**
 * Most faults short, some to the end of the range: production's partitions are mostly blips, and a run
 * made of 60 s partitions would spend its hour waiting instead of mixing faults.
 */
function skewed(random: SeededRandom, [min, max]: [number, number]): number {
  return random.chance(0.8) ? random.between(min, min + Math.floor((max - min) / 4)) : random.between(min, max);
}

export interface FaultTarget {
  daemon: ChaosDaemon;
  /** The node a node fault goes to (a daemon fault has none). */
  node?: ChaosNode;
  random: SeededRandom;
  durations: FaultDurations;
  sleep(ms: number): Promise<void>;
}

/** Applies one fault and undoes it (a silent connection needs no undoing: the daemon must replace it). */
export async function applyFault(
  kind: FaultKind,
  { daemon, node, random, durations, sleep }: FaultTarget,
): Promise<void> {
  if (kind === 'daemon-sigkill' || kind === 'daemon-sigterm') {
    await daemon.kill(kind === 'daemon-sigkill' ? 'SIGKILL' : 'SIGTERM');
    // Half the kills land while it is starting up (checkpoint read, subscriptions opening).
    await sleep(random.between(100, 1_500));
    await daemon.start();
    return;
  }
  if (!node) throw new Error(`${kind}: a node fault needs a node`);
  switch (kind) {
    case 'server-sigkill':
      await node.crashAndRestart(random.between(300, 2_000), sleep);
      break;
    case 'server-sigstop':
      node.signal('SIGSTOP');
      try {
        await sleep(skewed(random, durations.stop));
      } finally {
        node.signal('SIGCONT');
      }
      break;
    case 'partition':
      node.faulty.blackhole();
      try {
        await sleep(skewed(random, durations.partition));
      } finally {
        node.faulty.heal();
      }
      break;
    case 'reset':
      for (let i = 0; i < 3; i++) {
        node.faulty.reset();
        await sleep(random.between(100, 500));
      }
      break;
    case 'silent-connection':
      // The daemon's open connections to the node stop carrying anything, for good; it must replace them.
      node.faulty.wedge();
      break;
    case 'destination-outage':
      node.faulty.refuse(true);
      node.faulty.reset();
      try {
        await sleep(skewed(random, durations.outage));
      } finally {
        node.faulty.refuse(false);
      }
      break;
  }
}
