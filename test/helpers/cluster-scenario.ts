import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import { ChildTracker, type CliProcess, eventually, writeTempConfig } from './daemon-process.js';
import { startNodes, uniqueName, type TestNode } from './nodes.js';
import { compareStreams, streamLength } from './stream-compare.js';

/** Short lease timings keep the test fast; renew + giveUp < ttl as in production. */
export const TIMINGS = { leaseTtlMs: 3_000, renewIntervalMs: 500, giveUpAfterMs: 2_000, rebalanceDelayMs: 1_000 };
const LINKS = 6;

interface StatusLink {
  name: string;
  owner: string | null;
  state: string;
}
interface Status {
  ready: boolean;
  links: StatusLink[];
  cluster: { member: string; members: { id: string; links: string[]; url: string | null; lastSeen: string }[] };
}

export interface Member {
  id: string;
  proc: CliProcess;
  url: string;
}

/** The coordination side of a scenario: what the config says, and how to take it down and back. */
export interface CoordinatorUnderTest {
  cluster: Record<string, unknown>;
  /** Extra nodes (the KurrentDB coordinator), already started. */
  nodes: TestNode[];
  outage(): Promise<void>;
  restore(): Promise<void>;
}

export interface ScenarioFigures {
  failoverMs: number;
  handoffMs: number;
  pauseMoveMs: number;
  outageResumeMs: number;
}

async function fetchStatus(url: string): Promise<Status | null> {
  try {
    const res = await fetch(`${url}/api/status`, { signal: AbortSignal.timeout(1_000) });
    return (await res.json()) as Status;
  } catch {
    return null;
  }
}

/** The links a member says it runs itself (its own claim, not its view of others). */
function claims(s: Status): string[] {
  return s.links.filter((l) => l.owner === s.cluster.member).map((l) => l.name);
}

/**
 * Watches every member's own claims every 100 ms. Two members claiming one link in one round is re-checked
 * at once (the rounds are not atomic, so a handoff can straddle one); a claim that persists is a double owner.
 */
class OwnershipWatcher {
  readonly violations: string[] = [];
  private stopped = false;
  private readonly done: Promise<void>;
  latest = new Map<string, string[]>();

  constructor(private readonly members: () => Member[]) {
    this.done = this.run();
  }

  private async round(): Promise<Map<string, string[]>> {
    const live = this.members();
    const statuses = await Promise.all(live.map((m) => fetchStatus(m.url)));
    const byLink = new Map<string, string[]>();
    statuses.forEach((s) => {
      if (!s) return;
      for (const link of claims(s)) byLink.set(link, [...(byLink.get(link) ?? []), s.cluster.member]);
    });
    return byLink;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const byLink = await this.round();
      this.latest = byLink;
      const doubled = [...byLink].filter(([, owners]) => owners.length > 1);
      if (doubled.length > 0) {
        const again = await this.round();
        for (const [link, owners] of doubled) {
          const still = again.get(link) ?? [];
          if (still.length > 1 && owners.every((o) => still.includes(o))) {
            this.violations.push(`${link} claimed by ${still.join(' and ')}`);
          }
        }
      }
      await delay(100);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Appends to every link's streams until stopped; returns the streams written. */
function startWriters(client: EventStoreDBClient, signal: AbortSignal): { streams: Set<string>; done: Promise<void> } {
  const streams = new Set<string>();
  const done = (async () => {
    let round = 0;
    while (!signal.aborted) {
      for (let i = 0; i < LINKS; i++) {
        const stream = `p${i}-s${round % 3}`;
        streams.add(stream);
        await client
          .appendToStream(stream, [jsonEvent({ type: 'Written', data: { round, i } })])
          .catch(() => undefined);
      }
      round++;
      await delay(30);
    }
  })();
  return { streams, done };
}

export async function runClusterScenario(
  t: TestContext,
  coordinator: (t: TestContext) => Promise<CoordinatorUnderTest>,
): Promise<ScenarioFigures> {
  const children = new ChildTracker();
  t.after(() => children.killAll());
  const [dc1, dc2] = await startNodes(['dc1', 'dc2']);
  t.after(() => Promise.all([dc1!.stop(), dc2!.stop()]));
  const coord = await coordinator(t);
  const links = Array.from({ length: LINKS }, (_, i) => ({
    name: `p${i}`,
    origin: 'dc1',
    destination: 'dc2',
    filter: { includeStreamPrefixes: [`p${i}-`] },
    checkpointIntervalMs: 100,
  }));
  const config = await writeTempConfig({
    nodes: [dc1!, dc2!, ...coord.nodes].map((n) => ({ name: n.name, connectionString: n.connectionString })),
    links,
    cluster: { ...coord.cluster, name: uniqueName('test'), ...TIMINGS },
    http: { port: 0 },
    log: { format: 'json', level: 'info' },
    shutdownGraceMs: 2_000,
  });
  t.after(() => config.remove());

  const members: Member[] = [];
  const alive = () => members.filter((m) => m.proc.child.exitCode === null && m.proc.child.signalCode === null);
  const spawnMember = async (id: string): Promise<Member> => {
    const proc = children.spawn(['run', '--config', config.path], { env: { ESDB_LINKER_MEMBER: id } });
    const line = await proc.waitForLog((l) => typeof l.url === 'string', 15_000, `${id} listening`);
    const member = { id, proc, url: String(line.url) };
    members.push(member);
    return member;
  };
  const ownersNow = async (): Promise<Map<string, string[]>> => {
    const byLink = new Map<string, string[]>();
    for (const m of alive()) {
      const s = await fetchStatus(m.url);
      if (s) for (const l of claims(s)) byLink.set(l, [...(byLink.get(l) ?? []), m.id]);
    }
    return byLink;
  };
  const spread = async (ids: readonly string[]): Promise<boolean> => {
    const byLink = await ownersNow();
    if (byLink.size !== LINKS || [...byLink.values()].some((o) => o.length !== 1)) return false;
    const counts = ids.map((id) => [...byLink.values()].filter((o) => o[0] === id).length);
    return counts.every((c) => c > 0) && Math.max(...counts) - Math.min(...counts) < 2;
  };
  /** Every member lists every live member (with its URL and links) and every link with the same owner. */
  const oneView = async (ids: readonly string[]): Promise<boolean> => {
    const statuses = await Promise.all(alive().map((m) => fetchStatus(m.url)));
    if (statuses.some((st) => st === null)) return false;
    const truth = await ownersNow();
    return statuses.every((st) => {
      const s = st!;
      const memberIds = s.cluster.members.map((m) => m.id).sort();
      if (JSON.stringify(memberIds) !== JSON.stringify([...ids].sort())) return false;
      if (!s.cluster.members.every((m) => typeof m.url === 'string' && typeof m.lastSeen === 'string')) return false;
      if (s.links.length !== LINKS) return false;
      return s.links.every((l) => l.owner === (truth.get(l.name) ?? [null])[0]);
    });
  };
  const linksOf = async (id: string) => [...(await ownersNow())].filter(([, o]) => o.includes(id)).map(([l]) => l);
  const ownedByOthers = async (gone: string, wanted: readonly string[]) => {
    const byLink = await ownersNow();
    return wanted.every((l) => (byLink.get(l) ?? []).length === 1 && !(byLink.get(l) ?? []).includes(gone));
  };

  const source = dc1!.client();
  const destination = dc2!.client();
  const writing = new AbortController();
  const writers = startWriters(source, writing.signal);
  t.after(() => writing.abort());

  for (const id of ['m1', 'm2', 'm3']) await spawnMember(id);
  const watcher = new OwnershipWatcher(alive);
  t.after(() => watcher.stop());
  await eventually(() => spread(['m1', 'm2', 'm3']), 20_000, 'six links spread 2/2/2 over three members');
  await eventually(() => oneView(['m1', 'm2', 'm3']), 10_000, 'every member showing the whole cluster');
  const metrics = await (await fetch(`${members[0]!.url}/metrics`)).text();
  assert.match(metrics, /^esdb_linker_cluster_members 3$/m);
  const owned = [...metrics.matchAll(/^esdb_linker_cluster_link_owned\{[^}]*\} (\d)$/gm)].map((m) => m[1]);
  assert.equal(owned.length, LINKS, 'one ownership series per link of the config');
  assert.equal(owned.filter((v) => v === '1').length, (await linksOf('m1')).length);

  // SIGKILL: the survivors take its links once its leases went unchanged for a TTL.
  const killed = await linksOf('m1');
  assert.ok(killed.length > 0);
  let t0 = Date.now();
  members.find((m) => m.id === 'm1')!.proc.kill('SIGKILL');
  await eventually(() => ownedByOthers('m1', killed), 20_000, "m1's links on the survivors");
  const failoverMs = Date.now() - t0;

  await spawnMember('m4');
  await eventually(() => spread(['m2', 'm3', 'm4']), 20_000, 'balanced again with m4');

  // SIGTERM: drain, checkpoint, release, and the successors start at once.
  const handed = await linksOf('m2');
  t0 = Date.now();
  members.find((m) => m.id === 'm2')!.proc.kill('SIGTERM');
  await eventually(() => ownedByOthers('m2', handed), 20_000, "m2's links handed over");
  const handoffMs = Date.now() - t0;
  const exit = await members.find((m) => m.id === 'm2')!.proc.exited;
  assert.equal(exit.code, 0, 'a member stopped by SIGTERM exits 0');

  // SIGSTOP past the TTL: its links move; on SIGCONT it stops them (it lost the leases) and rejoins.
  const paused = members.find((m) => m.id === 'm3')!;
  const pausedLinks = await linksOf('m3');
  t0 = Date.now();
  paused.proc.child.kill('SIGSTOP');
  await eventually(() => ownedByOthers('m3', pausedLinks), 20_000, "m3's links on m4 while m3 is paused");
  const pauseMoveMs = Date.now() - t0;
  // The links moved only once their leases sat unchanged for a TTL: m3 has been stopped past it.
  assert.ok(pauseMoveMs >= TIMINGS.leaseTtlMs, `m3 paused ${pauseMoveMs} ms, past the TTL`);
  paused.proc.child.kill('SIGCONT');
  await paused.proc.waitForLog(
    (l) => typeof l.msg === 'string' && /could not renew the lease of|lost the lease of/.test(l.msg),
    10_000,
    'the resumed member giving its links up',
  );
  await eventually(() => spread(['m3', 'm4']), 20_000, 'balanced over m3 and m4 after the pause');

  // Coordinator outage: every owner stops its links after the give-up time, then resumes without a restart.
  await coord.outage();
  await eventually(async () => (await ownersNow()).size === 0, 20_000, 'every link stopped during the outage');
  const during = await fetch(`${alive()[0]!.url}/health/ready`);
  assert.equal(during.status, 503);
  assert.match(JSON.stringify(await during.json()), /coordinator .* unreachable/);
  t0 = Date.now();
  await coord.restore();
  await eventually(() => spread(['m3', 'm4']), 20_000, 'links running again after the outage');
  const outageResumeMs = Date.now() - t0;

  writing.abort();
  await writers.done;
  try {
    await eventually(
      async () => (await compareStreams(source, destination, writers.streams)).length === 0,
      20_000,
      'exact replicas of every written stream',
    );
  } catch (err) {
    // Say which links were behind, and where they ran, to tell a stuck link from a lost event.
    const views = await Promise.all(alive().map((m) => fetchStatus(m.url)));
    const diff = await compareStreams(source, destination, writers.streams);
    throw new Error(`${String(err)}\ndifferences: ${diff.join('; ')}\nstatus: ${JSON.stringify(views)}`);
  }
  assert.deepEqual(await compareStreams(source, destination, writers.streams), []);
  await watcher.stop();
  assert.deepEqual(watcher.violations, [], 'at most one owner per link at any observation');
  // No conflict arose, so none was recorded: a double owner racing another would have left some.
  assert.equal(await streamLength(destination, '$conflicts-from-dc1-to-dc2'), 0);
  for (const m of alive()) m.proc.kill('SIGTERM');
  await Promise.all(alive().map((m) => m.proc.exited));
  return { failoverMs, handoffMs, pauseMoveMs, outageResumeMs };
}
