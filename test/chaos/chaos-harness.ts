import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { useClassicAppendOnly } from '../../src/client/classic-append.js';
import { spawnCli, writeTempConfig } from '../helpers/daemon-process.js';
import { SeededRandom } from '../helpers/seeded-random.js';
import { ChaosDaemon } from './chaos-daemon.js';
import { ChaosNode } from './chaos-cluster.js';
import {
  applyFault,
  DAEMON_FAULT_KINDS,
  faultDurations,
  FAULT_KINDS,
  NODE_FAULT_KINDS,
  type FaultKind,
} from './chaos-faults.js';
import { AckedFrontier, waitRecovered } from './chaos-recovery.js';
import { chaosConfig, chaosTopology, NODE_NAMES, type NodeName } from './chaos-topology.js';
import { verifyChaos, type Verification } from './chaos-verify.js';
import { runChaosWriter, type WriterStats } from './chaos-writers.js';

export { FAULT_KINDS, type FaultKind };

export interface ChaosOptions {
  minutes: number;
  seed: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Ends the fault loop early (Ctrl-C): the run still catches up, verifies and reports what it did. */
  signal?: AbortSignal;
  /**
   * Faults of every kind the run must have applied before it ends (default 1): past `minutes`, lanes go on
   * until every kind has run this often, so `--min-faults 100` gives at least 100 of each.
   */
  minFaults?: number;
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
  /** Faults of the other lanes active at some time between this one's start and its recovery. */
  overlapping: string[];
}

export interface ChaosReport {
  seed: number;
  minutes: number;
  /** Faults of every kind the run had to apply (`--min-faults`). */
  minFaults: number;
  startedAt: string;
  durationMs: number;
  topology: { links: { name: string; origin: string; destination: string }[] };
  faults: FaultRecord[];
  /** Faults that overlapped another (on another part: the daemon, or another node), and the most at once. */
  overlap: { faultsOverlapping: number; maxConcurrent: number };
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

const RECOVERY_CAP_MS = 180_000;
const AFTER_FAULT_MS = 1_000;

/** One fault as it runs, for the overlap record (`endedAt` undefined while it lasts). */
interface Running {
  label: string;
  lane: string;
  startedAt: number;
  endedAt?: number;
}

/**
 * A randomized fault run over active/active + fan-in + chain (see chaos-topology.ts) with writers on every
 * origin. Faults run in five lanes at once: one for the daemon (SIGKILL, SIGTERM) and one per node (server
 * SIGKILL and restart on its data, SIGSTOP, partition, resets, connections gone silent, outage), so faults on
 * different parts overlap, as they do in production. Each lane draws its kinds in seeded rounds (every kind
 * once per round) and after each fault waits until the links it touched copied everything written up to a
 * moment after it ended: that is the fault's recovery time. At the end the daemon runs `--until-caught-up`
 * and every link is verified.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? (() => {});
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
  const running: Running[] = [];
  let maxConcurrent = 0;
  let writers: Promise<WriterStats>[] = [];
  const frontier = new AckedFrontier(topology);
  try {
    await daemon.start();
    log(`run ${run}: 4 nodes, ${topology.links.length} links, seed ${options.seed}, ${options.minutes} min`);
    writers = (['dc1', 'dc2', 'dc3'] as const).map((node, i) =>
      runChaosWriter({
        node,
        client: nodes[node].cleanClient(),
        streams: topology.streamsOf[node],
        random: new SeededRandom(options.seed + 100 + i),
        // A long run writes less often: its nodes hold an hour of events, and the verification reads them all.
        pauseMs: options.minutes >= 20 ? 40 : options.minutes >= 5 ? 20 : 60,
        signal: writerStop.signal,
        sleep,
        onAck: (append) => frontier.add(append),
      }),
    );

    const deadline = started + options.minutes * 60_000;
    const durations = faultDurations(options.minutes);
    const begun = new Map<FaultKind, number>();
    const minFaults = options.minFaults ?? 1;
    // A lane stops at the deadline once every kind it can apply has run `minFaults` times in all lanes
    // (however short the run). A lane that failed (a daemon that would not start) stops the others: the run
    // reports what it has.
    let laneFailed = false;
    const laneDone = (kinds: readonly FaultKind[]): boolean =>
      laneFailed ||
      options.signal?.aborted === true ||
      (Date.now() >= deadline && kinds.every((k) => (begun.get(k) ?? 0) >= minFaults));
    // Measurements still running (the daemon lane does not wait for each to end), awaited before the report.
    const measuring: Promise<void>[] = [];

    const lane = async (
      name: string,
      kinds: readonly FaultKind[],
      laneSeed: number,
      node: ChaosNode | undefined,
      pauseMs: [number, number],
      /**
       * How long the lane waits for a fault's recovery before its next fault (undefined: until recovered).
       * The measurement goes on meanwhile, so a fault that lands during the last one's catch-up lengthens
       * that recovery, as a crash loop does.
       */
      waitRecoveryMs?: number,
    ): Promise<void> => {
      const random = new SeededRandom(laneSeed);
      const touched = topology.links
        .filter((l) => node === undefined || l.origin === node.name || l.destination === node.name)
        .map((l) => l.name);
      let round: FaultKind[] = [];
      // Lanes start apart, so the first faults do not all land in the same second.
      await sleep(random.between(0, 2_000));
      while (!laneDone(kinds)) {
        if (round.length === 0) round = shuffle([...kinds], random);
        const kind = round.shift()!;
        begun.set(kind, (begun.get(kind) ?? 0) + 1);
        const target = node?.name ?? 'daemon';
        const entry: Running = { label: `${kind} ${target}`, lane: name, startedAt: Date.now() };
        running.push(entry);
        maxConcurrent = Math.max(maxConcurrent, running.filter((r) => r.endedAt === undefined).length);
        const startedMs = since();
        await applyFault(kind, { daemon, node, random, durations, sleep });
        const endedAt = Date.now();
        entry.endedAt = endedAt;
        const measure = async (): Promise<void> => {
          // Recovered means the links copied what was written up to a moment after the fault ended: a fault
          // that ends at once (a reset, a connection gone silent) shows only in writes made after it.
          await sleep(AFTER_FAULT_MS);
          const recovery = await waitRecovered(daemon, frontier.targets(touched), endedAt, RECOVERY_CAP_MS);
          const until = Date.now();
          const overlapping = running
            .filter((r) => r.lane !== name && r.startedAt <= until && (r.endedAt ?? until) >= entry.startedAt)
            .map((r) => r.label);
          const fault: FaultRecord = {
            kind,
            target,
            startedMs,
            durationMs: endedAt - entry.startedAt,
            recoveryMs: recovery.ms,
            slowestLink: recovery.slowest,
            overlapping: [...new Set(overlapping)],
          };
          faults.push(fault);
          log(
            `${(since() / 1000).toFixed(0)} s: ${kind} ${target} for ${fault.durationMs} ms, recovered in ${fault.recoveryMs ?? 'n/a'} ms (last: ${fault.slowestLink ?? '-'})${overlapping.length ? `; overlapped ${fault.overlapping.join(', ')}` : ''}`,
          );
          // Entries no fault still being measured can overlap are dropped (an hour's run has hundreds): one
          // began at most its longest duration plus the recovery cap ago.
          for (let i = running.length - 1; i >= 0; i--) {
            if ((running[i]!.endedAt ?? Infinity) < until - 2 * RECOVERY_CAP_MS) running.splice(i, 1);
          }
        };
        const measured = measure();
        if (waitRecoveryMs === undefined) await measured;
        else {
          measuring.push(measured);
          await Promise.race([measured, sleep(waitRecoveryMs)]);
        }
        await sleep(random.between(...pauseMs));
      }
    };
    const lanes = await Promise.allSettled(
      [
        // Its next fault comes 6 s after a restart even if the links are still catching up: waiting for
        // every link (the node lanes' faults included) gave one daemon fault per 30 s.
        lane('daemon', DAEMON_FAULT_KINDS, options.seed + 200, undefined, [1_000, 4_000], 6_000),
        ...NODE_NAMES.map((n, i) => lane(n, NODE_FAULT_KINDS, options.seed + 300 + i, nodes[n], [300, 1_500])),
      ].map((p) =>
        p.catch((err: unknown) => {
          laneFailed = true;
          throw err;
        }),
      ),
    );
    const failure = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (failure) throw failure.reason;
    await Promise.all(measuring);
    faults.sort((x, y) => x.startedMs - y.startedMs);
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
    const verification = await verifyChaos(topology, clients, allAcked, log);
    const byNode: Record<string, number> = {};
    for (const a of allAcked) byNode[a.node] = (byNode[a.node] ?? 0) + a.ids.length;
    const report: ChaosReport = {
      seed: options.seed,
      minutes: options.minutes,
      minFaults,
      startedAt: new Date(started).toISOString(),
      durationMs: since(),
      topology: { links: topology.links.map((l) => ({ name: l.name, origin: l.origin, destination: l.destination })) },
      faults,
      overlap: { faultsOverlapping: faults.filter((f) => f.overlapping.length > 0).length, maxConcurrent },
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
