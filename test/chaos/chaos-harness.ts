import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { useClassicAppendOnly } from '../../src/client/classic-append.js';
import { spawnCli, writeTempConfig } from '../helpers/daemon-process.js';
import { SeededRandom } from '../helpers/seeded-random.js';
import { ChaosDaemon } from './chaos-daemon.js';
import { ChaosNode } from './chaos-cluster.js';
import { chaosConfig, chaosTopology, NODE_NAMES, type ChaosTopology, type NodeName } from './chaos-topology.js';
import { verifyChaos, type Verification } from './chaos-verify.js';
import { runChaosWriter, type AckedAppend, type WriterStats } from './chaos-writers.js';

export const FAULT_KINDS = [
  'daemon-sigkill',
  'daemon-sigterm',
  'server-sigkill',
  'server-sigstop',
  'partition',
  'reset',
  'silent-connection',
  'destination-outage',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  minutes: number;
  seed: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Ends the fault loop early (Ctrl-C): the run still catches up, verifies and reports what it did. */
  signal?: AbortSignal;
}

export interface FaultRecord {
  kind: FaultKind;
  target: string;
  /** ms since the run started. */
  startedMs: number;
  durationMs: number;
  /**
   * From the end of the fault until every link had copied what its origin acknowledged up to 1 s after
   * that end; null: not within the cap (120 s).
   */
  recoveryMs: number | null;
  /** The link that caught up last (or had not caught up at the cap). */
  slowestLink: string | null;
}

export interface ChaosReport {
  seed: number;
  minutes: number;
  startedAt: string;
  durationMs: number;
  topology: { links: { name: string; origin: string; destination: string }[] };
  faults: FaultRecord[];
  faultsByKind: Record<
    string,
    { count: number; recoveryMsP50: number | null; recoveryMsMax: number | null; notRecovered: number }
  >;
  written: { ackedEvents: number; ackedAppends: number; failedAppends: number; byNode: Record<string, number> };
  finalCatchUpMs: number;
  finalCatchUpExit: { code: number | null; signal: string | null };
  verification: Verification;
  eventsVerified: number;
  duplicates: number;
  losses: number;
  daemonStarts: number;
  warnings: { count: number; sample: string[] };
  ok: boolean;
}

/** A long run's faults last longer (partitions and outages up to 60 s); a short run's are scaled down. */
function durations(minutes: number): { partition: [number, number]; outage: [number, number]; stop: [number, number] } {
  if (minutes >= 20) return { partition: [5_000, 60_000], outage: [5_000, 60_000], stop: [3_000, 20_000] };
  if (minutes >= 5) return { partition: [5_000, 20_000], outage: [5_000, 20_000], stop: [3_000, 10_000] };
  return { partition: [3_000, 5_000], outage: [3_000, 5_000], stop: [3_000, 4_000] };
}

const RECOVERY_CAP_MS = 120_000;
const AFTER_FAULT_MS = 1_000;

/**
 * A randomized fault run over active/active + fan-in + chain (see chaos-topology.ts) with writers on every
 * origin: faults of every kind in a seeded order (each kind once per round, so even a short run has them
 * all), each followed by the time the links take to copy everything written before it ended. At the end the
 * daemon runs `--until-caught-up` and every link is verified.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
  const random = new SeededRandom(options.seed);
  const run = `chaos-${options.seed}-${randomUUID().slice(0, 6)}`;
  const topology = chaosTopology(run);
  const started = Date.now();
  const since = (): number => Date.now() - started;
  const sleep = (ms: number): Promise<void> => delay(ms);
  // Stock appends of several nodes in one process must not share the client's BatchAppend pending map.
  useClassicAppendOnly();

  const nodes = {} as Record<NodeName, ChaosNode>;
  await Promise.all(
    NODE_NAMES.map(async (name, i) => {
      nodes[name] = await ChaosNode.start(name, options.seed * 10 + i);
    }),
  );
  const config = await writeTempConfig(
    chaosConfig(
      topology,
      Object.fromEntries(NODE_NAMES.map((n) => [n, nodes[n].linkConnectionString])) as Record<NodeName, string>,
    ),
  );
  const daemon = new ChaosDaemon(config.path);
  const writerStop = new AbortController();
  const faults: FaultRecord[] = [];
  let writers: Promise<WriterStats>[] = [];
  const liveAcked: AckedAppend[] = [];
  try {
    await daemon.start();
    log(`run ${run}: 4 nodes, ${topology.links.length} links, seed ${options.seed}, ${options.minutes} min`);
    writers = (['dc1', 'dc2', 'dc3'] as const).map((node, i) =>
      runChaosWriter({
        node,
        client: nodes[node].cleanClient(),
        streams: topology.streamsOf[node],
        random: new SeededRandom(options.seed + 100 + i),
        pauseMs: options.minutes >= 5 ? 20 : 60,
        signal: writerStop.signal,
        sleep,
        sink: liveAcked,
      }),
    );

    const deadline = started + options.minutes * 60_000;
    const range = durations(options.minutes);
    let round: FaultKind[] = [];
    // At least one fault of every kind, however short the run.
    while (!options.signal?.aborted && (Date.now() < deadline || faults.length < FAULT_KINDS.length)) {
      if (round.length === 0) round = shuffle([...FAULT_KINDS], random);
      const kind = round.shift()!;
      const fault = await applyFault(kind, { nodes, daemon, random, range, sleep, since });
      const endedAt = Date.now();
      // Recovered means the links copied what was written up to a moment after the fault ended: a fault
      // that ends at once (a reset, a connection gone silent) shows only in writes made after it.
      await sleep(AFTER_FAULT_MS);
      const targets = recoveryTargets(topology, liveAcked, Date.now());
      const recovery = await waitRecovered(daemon, targets, endedAt);
      fault.recoveryMs = recovery.ms;
      fault.slowestLink = recovery.slowest;
      faults.push(fault);
      log(
        `${(since() / 1000).toFixed(0)} s: ${fault.kind} ${fault.target} for ${fault.durationMs} ms, recovered in ${fault.recoveryMs ?? 'n/a'} ms (last: ${fault.slowestLink ?? '-'})`,
      );
      await sleep(random.between(300, 1_500));
    }
    writerStop.abort();
    const stats = await Promise.all(writers);

    // The product's own catch-up mode ends the run: exit 0 means every link copied everything.
    await daemon.kill('SIGTERM');
    const finalStarted = Date.now();
    const final = spawnCli(['run', '--config', config.path, '--until-caught-up', '--timeout', '180s']);
    const finalExit = await final.exited;
    const finalCatchUpMs = Date.now() - finalStarted;
    log(`final catch-up: exit ${finalExit.code ?? finalExit.signal} after ${finalCatchUpMs} ms`);

    const clients = Object.fromEntries(NODE_NAMES.map((n) => [n, nodes[n].cleanClient()])) as Record<
      NodeName,
      EventStoreDBClient
    >;
    const allAcked = stats.flatMap((s) => s.acked);
    const verification = await verifyChaos(topology, clients, allAcked);
    const byNode: Record<string, number> = {};
    for (const a of allAcked) byNode[a.node] = (byNode[a.node] ?? 0) + a.ids.length;
    const report: ChaosReport = {
      seed: options.seed,
      minutes: options.minutes,
      startedAt: new Date(started).toISOString(),
      durationMs: since(),
      topology: { links: topology.links.map((l) => ({ name: l.name, origin: l.origin, destination: l.destination })) },
      faults,
      faultsByKind: summarizeFaults(faults),
      written: {
        ackedEvents: allAcked.reduce((n, a) => n + a.ids.length, 0),
        ackedAppends: allAcked.length,
        failedAppends: stats.reduce((n, s) => n + s.failed, 0),
        byNode,
      },
      finalCatchUpMs,
      finalCatchUpExit: finalExit,
      verification,
      eventsVerified: verification.links.reduce((n, l) => n + l.verified, 0),
      duplicates: verification.duplicates,
      losses: verification.lost,
      daemonStarts: daemon.starts + 1,
      warnings: {
        count: daemon.warnings.length,
        // One line per kind of warning (numbers vary between otherwise equal lines).
        sample: [
          ...new Map(
            daemon.warnings.map((w) => [String(w.msg).replace(/\d+/g, 'N'), String(w.msg).slice(0, 200)]),
          ).values(),
        ].slice(0, 20),
      },
      ok: verification.ok && finalExit.code === 0,
    };
    if (finalExit.code !== 0) report.warnings.sample.unshift(`final catch-up output: ${final.stdout().slice(-1500)}`);
    return report;
  } finally {
    writerStop.abort();
    await Promise.allSettled(writers);
    await daemon.kill('SIGKILL').catch(() => {});
    await Promise.allSettled(NODE_NAMES.map((n) => nodes[n]?.stop()));
    await config.remove();
  }
}

interface FaultContext {
  nodes: Record<NodeName, ChaosNode>;
  daemon: ChaosDaemon;
  random: SeededRandom;
  range: ReturnType<typeof durations>;
  sleep(ms: number): Promise<void>;
  since(): number;
}

async function applyFault(kind: FaultKind, ctx: FaultContext): Promise<FaultRecord> {
  const { nodes, daemon, random, range, sleep } = ctx;
  const node = nodes[random.pick(NODE_NAMES)];
  const startedMs = ctx.since();
  const begin = Date.now();
  let target = node.name;
  switch (kind) {
    case 'daemon-sigkill':
    case 'daemon-sigterm': {
      target = 'daemon';
      // Half the kills land while it is starting up (checkpoint read, subscriptions opening).
      await daemon.kill(kind === 'daemon-sigkill' ? 'SIGKILL' : 'SIGTERM');
      await sleep(random.between(100, 1_500));
      await daemon.start();
      break;
    }
    case 'server-sigkill':
      await node.crashAndRestart(random.between(300, 2_000), sleep);
      break;
    case 'server-sigstop':
      node.signal('SIGSTOP');
      try {
        await sleep(random.between(...range.stop));
      } finally {
        node.signal('SIGCONT');
      }
      break;
    case 'partition':
      node.faulty.blackhole();
      await sleep(random.between(...range.partition));
      node.faulty.heal();
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
        await sleep(random.between(...range.outage));
      } finally {
        node.faulty.refuse(false);
      }
      break;
  }
  return { kind, target, startedMs, durationMs: Date.now() - begin, recoveryMs: null, slowestLink: null };
}

interface RecoveryTarget {
  link: string;
  commit: bigint;
}

/** For each link: the last acknowledged append on its origin, in its streams, before `at`. */
function recoveryTargets(topology: ChaosTopology, acked: readonly AckedAppend[], at: number): RecoveryTarget[] {
  const targets: RecoveryTarget[] = [];
  for (const link of topology.links) {
    let commit: bigint | undefined;
    for (const a of acked) {
      if (a.atMs > at || a.node !== link.origin || !a.position) continue;
      if (!link.prefixes.some((p) => a.stream.startsWith(p))) continue;
      if (commit === undefined || a.position.commit > commit) commit = a.position.commit;
    }
    if (commit !== undefined) targets.push({ link: link.name, commit });
  }
  return targets;
}

async function waitRecovered(
  daemon: ChaosDaemon,
  targets: readonly RecoveryTarget[],
  endedAt: number,
): Promise<{ ms: number | null; slowest: string | null }> {
  let pending = targets.map((t) => t.link);
  while (Date.now() - endedAt < RECOVERY_CAP_MS) {
    const links = await daemon.links();
    if (links) {
      const byName = new Map(links.map((l) => [l.name, l]));
      const behind = targets.filter((t) => {
        const checkpoint = byName.get(t.link)?.checkpoint;
        return checkpoint === null || checkpoint === undefined || BigInt(checkpoint.commit) < t.commit;
      });
      if (behind.length === 0) return { ms: Date.now() - endedAt, slowest: pending[0] ?? null };
      pending = behind.map((t) => t.link);
    }
    await delay(200);
  }
  return { ms: null, slowest: pending[0] ?? null };
}

function shuffle<T>(items: T[], random: SeededRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarizeFaults(faults: readonly FaultRecord[]): ChaosReport['faultsByKind'] {
  const out: ChaosReport['faultsByKind'] = {};
  for (const kind of FAULT_KINDS) {
    const of = faults.filter((f) => f.kind === kind);
    const times = of
      .map((f) => f.recoveryMs)
      .filter((t): t is number => t !== null)
      .sort((a, b) => a - b);
    out[kind] = {
      count: of.length,
      recoveryMsP50: percentile(times, 50),
      recoveryMsMax: times.length ? times[times.length - 1]! : null,
      notRecovered: of.length - times.length,
    };
  }
  return out;
}
