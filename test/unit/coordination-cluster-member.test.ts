import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ClusterMember, type LinkRunner, type StopReason } from '../../src/coordination/cluster-member.js';
import type { ClusterSettings } from '../../src/coordination/cluster-settings.js';
import { sendCheckpointRequest } from '../../src/coordination/link-control.js';
import { intentOf } from '../../src/coordination/link-intent.js';
import { MemoryBackplane, MemoryStore } from '../../src/coordination/memory-store.js';
import type { ResolvedConfig } from '../../src/config/config-types.js';
import { FakeMonotonicClock } from '../helpers/fake-monotonic-clock.js';

const TTL = 15_000;
const RENEW = 3_000;
const GIVE_UP = 10_000;
const SETTLE = 10_000;

/** Every running copy of every link, over all members: the invariant is at most one per link. */
class World {
  readonly running = new Map<string, Set<string>>();
  readonly stops: { member: string; link: string; reason: StopReason }[] = [];
  /** Every checkpoint an owner wrote, and whether the link was running (it must not be) at that moment. */
  readonly checkpoints: { member: string; link: string; position: string; whileRunning: boolean }[] = [];
  readonly checkpointOf = new Map<string, string>();
  violations: string[] = [];

  runner(member: string): LinkRunner {
    return {
      start: async (link) => {
        const set = this.running.get(link) ?? new Set();
        set.add(member);
        this.running.set(link, set);
        if (set.size > 1) this.violations.push(`${link} runs on ${[...set].join(', ')}`);
      },
      stop: async (link, reason) => {
        this.running.get(link)?.delete(member);
        this.stops.push({ member, link, reason });
      },
      setCheckpoint: async (link, p) => {
        const position = `${p.commit}/${p.prepare}`;
        this.checkpoints.push({ member, link, position, whileRunning: (this.running.get(link)?.size ?? 0) > 0 });
        const was = this.checkpointOf.get(link) ?? 'no checkpoint';
        this.checkpointOf.set(link, position);
        return was;
      },
      status: (link) => ({ name: link, state: 'running' }),
    };
  }

  ownerOf(link: string): string | undefined {
    const set = this.running.get(link);
    return set && set.size === 1 ? [...set][0] : undefined;
  }

  counts(members: readonly string[]): number[] {
    return members.map((m) => [...this.running.values()].filter((s) => s.has(m)).length);
  }

  check(): void {
    for (const [link, set] of this.running) {
      if (set.size > 1) this.violations.push(`${link} runs on ${[...set].join(', ')}`);
    }
  }
}

interface Harness {
  clock: FakeMonotonicClock;
  plane: MemoryBackplane;
  world: World;
  members: Map<string, ClusterMember>;
  cut: Set<string>;
  add(id: string, links?: readonly string[]): ClusterMember;
  advance(ms: number): Promise<void>;
}

function harness(links: readonly string[]): Harness {
  const clock = new FakeMonotonicClock();
  const plane = new MemoryBackplane();
  const world = new World();
  const members = new Map<string, ClusterMember>();
  const cut = new Set<string>();
  const logger = pino({ level: 'silent' });
  let seed = 1;
  return {
    clock,
    plane,
    world,
    members,
    cut,
    add(id, own = links) {
      const settings: ClusterSettings = {
        coordination: 'kurrentdb',
        node: null,
        redisUrl: null,
        name: 'test',
        member: id,
        leaseTtlMs: TTL,
        renewIntervalMs: RENEW,
        giveUpAfterMs: GIVE_UP,
        rebalanceDelayMs: SETTLE,
      };
      const member = new ClusterMember({
        settings,
        store: new MemoryStore(plane, () => !cut.has(id)),
        links: own,
        runner: world.runner(id),
        logger,
        clock,
        // Deterministic "randomness" so runs repeat exactly.
        random: () => {
          seed = (seed * 16807) % 2147483647;
          return seed / 2147483647;
        },
      });
      members.set(id, member);
      member.start();
      return member;
    },
    advance: (ms) => clock.advance(ms, 100, () => world.check()),
  };
}

const links = (n: number) => Array.from({ length: n }, (_, i) => `link-${i}`);

function assertSpread(h: Harness, all: readonly string[], ids: readonly string[]): void {
  for (const link of all) assert.ok(h.world.ownerOf(link), `${link} has exactly one owner`);
  const counts = h.world.counts(ids);
  assert.ok(Math.max(...counts) - Math.min(...counts) < 2, `balanced: ${counts.join('/')}`);
  assert.deepEqual(h.world.violations, []);
}

describe('ClusterMember on a fake clock', () => {
  it('three members starting together spread seven links evenly, one owner each', async () => {
    const all = links(7);
    const h = harness(all);
    for (const id of ['a', 'b', 'c']) h.add(id);
    await h.advance(SETTLE + 4 * RENEW);
    assertSpread(h, all, ['a', 'b', 'c']);
  });

  it('a member leaving cleanly hands its links over at once, without waiting for the TTL', async () => {
    const all = links(6);
    const h = harness(all);
    for (const id of ['a', 'b', 'c']) h.add(id);
    await h.advance(SETTLE + 4 * RENEW);
    assertSpread(h, all, ['a', 'b', 'c']);
    const before = h.world.counts(['c'])[0];
    assert.ok(before && before > 0);
    const leaving = h.members.get('c')!.stop();
    await h.advance(200);
    await leaving;
    // Released + published: the survivors start them within a round, far below the TTL.
    await h.advance(RENEW + 500);
    assertSpread(h, all, ['a', 'b']);
    assert.ok(h.world.stops.filter((s) => s.member === 'c').every((s) => s.reason === 'shutdown'));
  });

  it('a member cut off from the coordinator stops its links before the survivors take them, and comes back', async () => {
    const all = links(6);
    const h = harness(all);
    for (const id of ['a', 'b', 'c']) h.add(id);
    await h.advance(SETTLE + 4 * RENEW);
    const cLinks = all.filter((l) => h.world.ownerOf(l) === 'c');
    assert.ok(cLinks.length >= 2);
    h.cut.add('c');
    // No double owner at any 100 ms step (checked by advance), and c fences itself within the give-up time.
    await h.advance(GIVE_UP + 200);
    for (const l of cLinks) assert.notEqual(h.world.ownerOf(l), 'c', `${l} stopped on c`);
    assert.ok(h.members.get('c')!.coordinator().reachable === false);
    // The survivors take them once they saw the records unchanged for a TTL (plus a renew round).
    await h.advance(TTL + RENEW - GIVE_UP);
    assertSpread(h, all, ['a', 'b']);
    assert.ok(h.world.stops.some((s) => s.member === 'c' && s.reason === 'fenced'));
    // c comes back: after the settling delay it gets its share again, with no restart.
    h.cut.delete('c');
    await h.advance(SETTLE + 4 * RENEW);
    assertSpread(h, all, ['a', 'b', 'c']);
  });

  it('a coordinator outage stops every link after the give-up time; they resume when it returns', async () => {
    const all = links(6);
    const h = harness(all);
    for (const id of ['a', 'b', 'c']) h.add(id);
    await h.advance(SETTLE + 4 * RENEW);
    h.plane.down = true;
    await h.advance(GIVE_UP + 500);
    assert.equal([...h.world.running.values()].filter((s) => s.size > 0).length, 0, 'nothing runs');
    h.plane.down = false;
    await h.advance(3 * RENEW);
    // Each owner takes back its own records at once (same process run, nobody wrote since).
    assertSpread(h, all, ['a', 'b', 'c']);
  });

  it('a joining member gets its share after the settling delay, moving only the excess', async () => {
    const all = links(9);
    const h = harness(all);
    for (const id of ['a', 'b', 'c']) h.add(id);
    await h.advance(SETTLE + 4 * RENEW);
    const before = new Map(all.map((l) => [l, h.world.ownerOf(l)]));
    h.add('d');
    await h.advance(SETTLE / 2);
    assert.equal(h.world.counts(['d'])[0], 0, 'nothing moves before the settling delay');
    await h.advance(SETTLE + 6 * RENEW);
    assertSpread(h, all, ['a', 'b', 'c', 'd']);
    const moved = all.filter((l) => before.get(l) !== h.world.ownerOf(l));
    // ceil(9/4) = 3 links end on d; nothing else needs to move.
    assert.ok(moved.length <= Math.ceil(all.length / 4), `moved ${moved.length}`);
    assert.ok(moved.every((l) => h.world.ownerOf(l) === 'd'));
  });

  it('a lease taken by someone else (a duplicated owner) stops the link at the next renew', async () => {
    const all = links(3);
    const h = harness(all);
    h.add('a');
    await h.advance(2 * RENEW);
    assert.equal(h.world.ownerOf('link-0'), 'a');
    const entry = h.plane.leases.get('link-0')!;
    h.plane.leases.set('link-0', {
      value: { ...(entry.value as object), holder: 'x' },
      version: h.plane.nextVersion(),
    });
    await h.advance(RENEW + 200);
    assert.ok(h.world.stops.some((s) => s.member === 'a' && s.link === 'link-0' && s.reason === 'lost'));
    assert.equal(await h.members.get('a')!.confirmLease('link-0'), null);
  });

  it('links added and removed: removed links stop and are released, added ones are taken', async () => {
    const h = harness(links(4));
    const a = h.add('a');
    const b = h.add('b');
    await h.advance(SETTLE + 4 * RENEW);
    assertSpread(h, links(4), ['a', 'b']);
    const next = ['link-0', 'link-1', 'link-4', 'link-5', 'link-6', 'link-7'];
    a.setLinks(next);
    b.setLinks(next);
    await h.advance(4 * RENEW);
    assertSpread(h, next, ['a', 'b']);
    for (const gone of ['link-2', 'link-3']) {
      assert.equal(h.world.ownerOf(gone), undefined);
      assert.equal(h.plane.leases.get(gone)?.value ?? null, null, `${gone} released`);
    }
  });

  it('confirmLease renews and answers the epoch; epochs grow on every takeover', async () => {
    const h = harness(['only']);
    const a = h.add('a');
    await h.advance(2 * RENEW);
    const first = await a.confirmLease('only');
    assert.ok(first && first.epoch >= 1);
    const stopping = a.stop();
    await h.advance(200);
    await stopping;
    const b = h.add('b');
    await h.advance(2 * RENEW);
    const second = await b.confirmLease('only');
    assert.ok(second && second.epoch > first.epoch, `${second?.epoch} > ${first.epoch}`);
    h.cut.add('b');
    assert.equal(await b.confirmLease('only'), null, 'unconfirmed while the coordinator is unreachable');
  });

  it('restartLink releases a link whose lease could not be confirmed, and it starts again', async () => {
    const h = harness(['only']);
    const a = h.add('a');
    await h.advance(2 * RENEW);
    assert.equal(h.world.ownerOf('only'), 'a');
    const epoch = a.epochOf('only');
    a.restartLink('only');
    await h.advance(2 * RENEW);
    assert.ok(h.world.stops.some((s) => s.member === 'a' && s.link === 'only' && s.reason === 'lost'));
    assert.equal(h.world.ownerOf('only'), 'a', 'taken again');
    assert.ok((a.epochOf('only') ?? 0) > (epoch ?? 0), 'under a new epoch');
  });
});

describe('cluster checkpoint requests', () => {
  const config = (all: readonly string[]) =>
    ({
      cluster: { name: 'test', leaseTtlMs: TTL },
      links: all.map((name) => ({ name })),
      nodes: [],
    }) as unknown as ResolvedConfig;
  const logger = pino({ level: 'silent' });

  /** Runs the operator's request beside the members, advancing the fake clock until it settles. */
  async function request(h: Harness, all: readonly string[], link: string, commit: bigint) {
    let settled = false;
    const outcome = sendCheckpointRequest({
      config: config(all),
      link,
      position: { commit, prepare: commit },
      timeoutMs: 30_000,
      logger,
      store: new MemoryStore(h.plane, () => true),
      clock: h.clock,
    }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    void outcome.finally(() => {
      settled = true;
    });
    for (let i = 0; i < 200 && !settled; i++) await h.advance(200);
    const result = await outcome;
    if ('error' in result) throw result.error;
    return result.value;
  }

  it("reaches a running link's owner: it stops the link, writes, marks it applied, and runs it again", async () => {
    const all = links(4);
    const h = harness(all);
    for (const id of ['a', 'b']) h.add(id);
    await h.advance(SETTLE + 4 * RENEW);
    const owner = h.world.ownerOf('link-2');
    assert.ok(owner);
    const outcome = await request(h, all, 'link-2', 77n);
    assert.deepEqual(outcome, { owner, was: 'no checkpoint' });
    assert.deepEqual(
      h.world.checkpoints.map((c) => [c.member, c.link, c.position, c.whileRunning]),
      [[owner, 'link-2', '77/77', false]],
    );
    assert.ok(h.world.stops.some((s) => s.member === owner && s.link === 'link-2' && s.reason === 'checkpoint'));
    await h.advance(RENEW);
    assert.equal(h.world.ownerOf('link-2'), owner, 'running again on its owner');
    // Applied once: later rounds leave it alone, and a second request replaces it.
    await h.advance(4 * RENEW);
    assert.equal(h.world.checkpoints.length, 1);
    assert.deepEqual(await request(h, all, 'link-2', 0n), { owner, was: '77/77' });
    assert.equal(h.world.checkpoints.length, 2);
  });

  it('waits as a durable request while nobody owns the link; the next owner writes it before starting it', async () => {
    const all = ['only'];
    const h = harness(all);
    const a = h.add('a');
    await h.advance(2 * RENEW);
    h.cut.add('a');
    await h.advance(GIVE_UP + 200);
    assert.equal(h.world.ownerOf('only'), undefined, 'a fenced itself');
    await a.stop();
    const outcome = await request(h, all, 'only', 5n);
    // a's stale record still lists the link: after a TTL of silence the request is known to wait for the next owner.
    assert.deepEqual(outcome, { owner: null, was: null }, 'stored: no live owner lists it');
    h.add('b');
    const first = h.world.checkpoints.length;
    await h.advance(TTL + 3 * RENEW);
    assert.equal(h.world.ownerOf('only'), 'b');
    assert.deepEqual(
      h.world.checkpoints.slice(first).map((c) => [c.member, c.position, c.whileRunning]),
      [['b', '5/5', false]],
      'written once, before the link started',
    );
  });

  it('a paused link gets its checkpoint and stays paused', async () => {
    const all = ['only'];
    const h = harness(all);
    h.add('a');
    await h.advance(2 * RENEW);
    const operator = new MemoryStore(h.plane, () => true);
    await operator.putIntent('only', { paused: true });
    await h.advance(2 * RENEW);
    assert.equal(h.world.ownerOf('only'), undefined, 'paused');
    assert.deepEqual(await request(h, all, 'only', 9n), { owner: 'a', was: 'no checkpoint' });
    await h.advance(3 * RENEW);
    assert.equal(h.world.ownerOf('only'), undefined, 'still paused after the checkpoint');
    assert.equal(intentOf((await operator.getIntent('only'))?.value).paused, true, 'the pause is kept');
  });
});
