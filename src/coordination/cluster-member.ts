import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { errorMessage } from '../shared/errors.js';
import type { ClusterSettings } from './cluster-settings.js';
import type { ClusterMessage, CoordinationStore, MemberRecord } from './coordination-store.js';
import { isLeaseRecord, type LeaseRecord } from './lease-record.js';
import { intentOf, pendingCheckpoint, type CheckpointRequest, type LinkIntent } from './link-intent.js';
import { MemberTracker, type LiveMember } from './member-tracker.js';
import type { MonotonicClock } from './monotonic-clock.js';
import { assignLinks } from './rendezvous.js';
import { withDeadline } from './with-deadline.js';

/** Why a member stops running a link. */
export type StopReason = 'rebalance' | 'lost' | 'fenced' | 'shutdown' | 'removed' | 'paused' | 'checkpoint';

/** What the member drives: the daemon starts and stops links as leases come and go. */
export interface LinkRunner {
  /** Starts the link under the lease `epoch`; resolves once it was asked to start. */
  start(link: string, epoch: number): Promise<void>;
  /** Stops the link. `rebalance`/`shutdown`/`checkpoint` drain and checkpoint; `lost`/`fenced` stop at once. */
  stop(link: string, reason: StopReason): Promise<void>;
  /**
   * Writes an operator's checkpoint for the (stopped) link on its destination; answers what it replaced,
   * for the operator's confirmation.
   */
  setCheckpoint(link: string, position: { commit: bigint; prepare: bigint }): Promise<string>;
  /** The link's latest status, published to the other members. */
  status(link: string): unknown;
}

/** `idle` -> `running` -> `leaving` (releasing its leases) -> `stopped`. */
export type MemberState = 'idle' | 'running' | 'leaving' | 'stopped';

interface Held {
  version: string;
  epoch: number;
  renewals: number;
  /** Monotonic time the last successful renew (or the acquisition) was sent. */
  renewedAt: number;
  /** Set while the link is being stopped; the lease is renewed until it is released. */
  stopping: boolean;
  /** The renew in flight, if any: a release waits for it so both do not race on one version. */
  inflight: Promise<boolean> | undefined;
  /** Set once the release began: no renew may start after it. */
  releasing: boolean;
  /** Aborts the pending give-up timer. */
  fence: AbortController | undefined;
}

interface Observation {
  version: string | null;
  value: unknown;
  /** Monotonic time this member saw the record change (or first saw it). */
  changedAt: number;
}

export interface ClusterMemberOptions {
  settings: ClusterSettings;
  store: CoordinationStore;
  links: readonly string[];
  runner: LinkRunner;
  logger: Logger;
  clock: MonotonicClock;
  /** This member's HTTP URL, published so others can route requests and link to it. */
  url?: () => string | null;
  /** Random jitter source (0..1). @defaultValue Math.random */
  random?: () => number;
  /** Wall-clock time, only to stamp when an operator's request was applied. @defaultValue Date.now */
  now?: () => number;
}

export interface CoordinatorHealth {
  reachable: boolean;
  /** Why not, while unreachable. */
  lastError: string | null;
}

/**
 * One member of a cluster: heartbeats, spreads the config's links over the live members (capped rendezvous)
 * and runs the ones it holds a lease for.
 *
 * - A link is taken only when its record is absent, released, held by this very process run, or unchanged
 *   for a lease TTL as seen on this member's own monotonic clock; every write is a compare-and-swap.
 * - Held leases are renewed every `renewIntervalMs`. A failed compare-and-swap stops the link at once; a
 *   member that could not renew for `giveUpAfterMs` stops the link (a timer, not the next tick), which the
 *   timing rule places before any rival may take it.
 * - A link is released to another member only once that member has been alive for `rebalanceDelayMs`, at
 *   most a few per round; on shutdown every link drains, checkpoints, and is released at once.
 */
export class ClusterMember {
  private stateValue: MemberState = 'idle';
  readonly instance = randomUUID();
  private readonly settings: ClusterSettings;
  private readonly store: CoordinationStore;
  private readonly runner: LinkRunner;
  private readonly logger: Logger;
  private readonly clock: MonotonicClock;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly tracker: MemberTracker;
  private readonly held = new Map<string, Held>();
  private readonly observed = new Map<string, Observation>();
  /** Held links kept stopped by a pause intent (the lease stays, so nobody else runs them). */
  private readonly paused = new Set<string>();
  /** Links with a checkpoint request being applied (one at a time per link). */
  private readonly applying = new Set<string>();
  private links: string[];
  private seq = 0;
  private health: CoordinatorHealth = { reachable: false, lastError: 'not contacted yet' };
  private lastMembers: MemberRecord[] = [];
  private readonly abort = new AbortController();
  private wake: AbortController = new AbortController();
  private loopDone: Promise<void> | undefined;
  private renewDone: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly url: () => string | null;
  private readonly transitions = new Set<Promise<void>>();
  /** Starts and stops of one link run one after the other (a resume right after a pause waits for its stop). */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(options: ClusterMemberOptions) {
    this.settings = options.settings;
    this.store = options.store;
    this.runner = options.runner;
    this.logger = options.logger.child({ component: 'cluster', member: options.settings.member });
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    this.links = [...options.links];
    this.url = options.url ?? (() => null);
    // A member is dead once silent for a lease TTL: the same bound a lease gets.
    this.tracker = new MemberTracker(this.clock, this.settings.leaseTtlMs);
  }

  get state(): MemberState {
    return this.stateValue;
  }

  get id(): string {
    return this.settings.member;
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    this.stateValue = 'running';
    this.unsubscribe = this.store.subscribe(this.id, (m) => this.onMessage(m));
    this.loopDone = this.loop(this.abort.signal);
    this.renewDone = this.renewLoop(this.abort.signal);
  }

  /** Links this member holds a lease for. */
  heldLinks(): string[] {
    this.enforceFences();
    return [...this.held.keys()].sort();
  }

  /**
   * Gives up overdue leases now: after the process was paused (SIGSTOP, a VM freeze), I/O callbacks can run
   * before the give-up timers do, and nothing may see this member as the owner meanwhile.
   */
  private enforceFences(): void {
    const now = this.clock.now();
    for (const [link, held] of [...this.held]) {
      if (now - held.renewedAt > this.settings.giveUpAfterMs) this.lose(link, held, 'fenced');
    }
  }

  coordinator(): CoordinatorHealth {
    return { ...this.health };
  }

  /** The latest member records seen (stale ones filtered out by liveness). */
  liveMembers(): LiveMember[] {
    return this.tracker.live();
  }

  /** Every member record last read (for the cluster view: other owners' figures). */
  memberRecords(): MemberRecord[] {
    return this.lastMembers;
  }

  /** Held links stopped by a pause intent. */
  pausedLinks(): string[] {
    return [...this.paused].filter((l) => this.held.has(l)).sort();
  }

  /** The epoch of a held lease, or null. */
  epochOf(link: string): number | null {
    this.enforceFences();
    return this.held.get(link)?.epoch ?? null;
  }

  /** Replaces the set of links (a reload). Links no longer configured are stopped and released. */
  setLinks(links: readonly string[]): void {
    this.links = [...links];
    for (const link of this.held.keys()) {
      if (!this.links.includes(link)) this.track(this.handOver(link, 'removed'));
    }
    this.poke();
  }

  /**
   * The guard before an irreversible side effect (a conflict record): renews the lease now and answers its
   * epoch, or null when the lease is gone or could not be confirmed (the caller must not write).
   */
  async confirmLease(link: string): Promise<{ epoch: number } | null> {
    const held = this.held.get(link);
    if (!held) return null;
    if (this.clock.now() - held.renewedAt > this.settings.giveUpAfterMs) return null;
    const ok = await this.renew(link, held);
    return ok && this.held.get(link) === held ? { epoch: held.epoch } : null;
  }

  /**
   * A link stopped because it could not confirm its lease (a conflict record was due while the coordinator
   * hiccuped): release the lease so the link starts again from its checkpoint, here or elsewhere.
   */
  restartLink(link: string): void {
    if (!this.held.has(link)) return;
    this.logger.info({ link }, `link ${link} stopped without a confirmed lease; releasing it to start it again`);
    this.track(this.handOver(link, 'lost'));
  }

  /** Drains, checkpoints and releases every held link, then leaves; the successors start at once. */
  async stop(): Promise<void> {
    if (this.stateValue === 'idle') {
      this.stateValue = 'stopped';
      return;
    }
    if (this.stateValue !== 'running') {
      await this.loopDone;
      return;
    }
    this.stateValue = 'leaving';
    this.logger.info({ links: this.heldLinks() }, 'leaving the cluster: draining and releasing every held link');
    await Promise.all(this.heldLinks().map((link) => this.handOver(link, 'shutdown')));
    await Promise.all([...this.transitions]);
    this.abort.abort();
    this.wake.abort();
    await this.loopDone;
    await this.renewDone;
    this.unsubscribe?.();
    try {
      await withDeadline(this.clock, this.settings.renewIntervalMs, 'leaving', () =>
        this.store.heartbeat({ ...this.memberRecord(), left: true }, this.settings.leaseTtlMs),
      );
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'could not record leaving the cluster; others see it silent');
    }
    this.stateValue = 'stopped';
  }

  private track(p: Promise<void>): void {
    this.transitions.add(p);
    void p.finally(() => this.transitions.delete(p));
  }

  private poke(): void {
    this.wake.abort();
  }

  private onMessage(message: ClusterMessage): void {
    if (message.from === this.id) return;
    if (message.link !== undefined && this.links.includes(message.link)) {
      this.poke();
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick();
      this.wake = new AbortController();
      const jitter = 0.8 + 0.4 * this.random();
      try {
        await this.clock.sleep(this.settings.renewIntervalMs * jitter, AbortSignal.any([signal, this.wake.signal]));
      } catch {
        // Woken early (a released link, a shutdown): go round at once.
      }
    }
  }

  /**
   * Renewals run on their own loop, so a slow balancing round (many links, a slow coordinator) never
   * delays them past the give-up time.
   */
  private async renewLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await Promise.all([...this.held].map(([link, held]) => this.renew(link, held)));
      try {
        await this.clock.sleep(this.settings.renewIntervalMs, signal);
      } catch {
        return;
      }
    }
  }

  private memberRecord(): MemberRecord {
    const linkStatus: Record<string, unknown> = {};
    for (const link of this.held.keys()) {
      try {
        linkStatus[link] = this.runner.status(link);
      } catch {
        // A link between start and stop has no status; the next heartbeat carries it.
      }
    }
    return {
      id: this.id,
      seq: this.seq,
      url: this.url(),
      links: this.heldLinks(),
      linkStatus,
      paused: this.pausedLinks(),
    };
  }

  private async tick(): Promise<void> {
    const deadline = this.settings.renewIntervalMs;
    try {
      this.seq++;
      await withDeadline(this.clock, deadline, 'heartbeat', () =>
        this.store.heartbeat(this.memberRecord(), this.settings.leaseTtlMs),
      );
      const records = await withDeadline(this.clock, deadline, 'reading members', () => this.store.members());
      this.lastMembers = records;
      this.tracker.observe(records);
      this.reachable();
    } catch (err) {
      this.unreachable(err);
      return;
    }
    if (this.stateValue !== 'running') return;
    await this.applyIntents();
    await this.balance();
  }

  /** Pauses or resumes held links as their intents say (a pause survives failover: it lives on the coordinator). */
  private async applyIntents(): Promise<void> {
    await Promise.all(
      [...this.held].map(async ([link, held]) => {
        if (held.stopping) return;
        let intent: LinkIntent;
        try {
          intent = await this.readIntent(link);
        } catch (err) {
          this.unreachable(err);
          return;
        }
        if (this.held.get(link) !== held || held.stopping) return;
        const paused = intent.paused;
        const due = pendingCheckpoint(intent);
        if (due && !this.applying.has(link)) this.track(this.applyCheckpoint(link, held, due));
        // Not awaited: a drain may take the whole grace period, and this round must go on.
        if (paused && !this.paused.has(link)) {
          this.paused.add(link);
          this.logger.info({ link }, `pausing link ${link} (an operator asked; the lease stays here)`);
          this.track(this.stopQuietly(link, 'paused'));
        } else if (!paused && this.paused.has(link)) {
          this.paused.delete(link);
          this.logger.info({ link }, `resuming link ${link}`);
          this.track(this.startQuietly(link, held.epoch));
        }
      }),
    );
  }

  private async readIntent(link: string): Promise<LinkIntent> {
    const rec = await withDeadline(this.clock, this.settings.renewIntervalMs, `reading the intent of ${link}`, () =>
      this.store.getIntent(link),
    );
    return intentOf(rec?.value);
  }

  /**
   * An operator's checkpoint (set or reset) for a held link: the link drains and stops, the checkpoint is
   * written (fenced by a lease confirmation, like a conflict record), the request is marked applied on the
   * coordinator, and the link starts again from the new checkpoint. A failure leaves the request due, so
   * the next round (or the next owner) applies it; applying it twice writes the same checkpoint twice.
   */
  private applyCheckpoint(link: string, held: Held, request: CheckpointRequest): Promise<void> {
    this.applying.add(link);
    const position = `${request.commit}/${request.prepare}`;
    return this.serial(link, async () => {
      try {
        if (this.held.get(link) !== held || held.stopping) return;
        this.logger.info(
          { link, request: request.id, position },
          `applying an operator's checkpoint ${position} to link ${link}: draining it, writing the checkpoint, starting it again`,
        );
        try {
          await this.runner.stop(link, 'checkpoint');
        } catch (err) {
          this.logger.error({ link, err: errorMessage(err) }, `stopping link ${link} failed`);
        }
        if (!(await this.confirmLease(link))) {
          this.logger.warn({ link }, `the lease of ${link} is not confirmed: its next owner applies the checkpoint`);
          return;
        }
        try {
          const was = await this.runner.setCheckpoint(link, {
            commit: BigInt(request.commit),
            prepare: BigInt(request.prepare),
          });
          await this.markApplied(link, request, was);
          this.logger.info({ link, request: request.id, was }, `checkpoint of ${link} set to ${position} (was ${was})`);
        } catch (err) {
          this.logger.error(
            { link, err: errorMessage(err) },
            `could not apply the checkpoint ${position} to link ${link}; trying again next round`,
          );
        }
        if (this.held.get(link) !== held || held.stopping || this.paused.has(link)) return;
        try {
          await this.runner.start(link, held.epoch);
        } catch (err) {
          this.logger.error({ link, err: errorMessage(err) }, `link ${link} did not start; releasing its lease`);
          this.track(this.handOver(link, 'removed'));
        }
      } finally {
        this.applying.delete(link);
      }
    });
  }

  /** Records on the coordinator that the request was applied, unless a newer request replaced it meanwhile. */
  private async markApplied(link: string, request: CheckpointRequest, was: string): Promise<void> {
    const bound = this.settings.renewIntervalMs;
    const current = intentOf(
      (await withDeadline(this.clock, bound, `reading the intent of ${link}`, () => this.store.getIntent(link)))?.value,
    );
    if (current.checkpoint?.id !== request.id) return;
    const applied = { by: this.id, at: new Date(this.now()).toISOString(), was };
    await withDeadline(this.clock, bound, `recording the checkpoint of ${link}`, () =>
      this.store.putIntent(link, { ...current, checkpoint: { ...request, applied } }),
    );
  }

  private startQuietly(link: string, epoch: number): Promise<void> {
    return this.serial(link, async () => {
      // The lease may have gone while an earlier stop ran.
      if (this.held.get(link)?.epoch !== epoch || this.paused.has(link)) return;
      try {
        await this.runner.start(link, epoch);
      } catch (err) {
        this.logger.error({ link, err: errorMessage(err) }, `link ${link} did not start; releasing its lease`);
        this.track(this.handOver(link, 'removed'));
      }
    });
  }

  private reachable(): void {
    if (!this.health.reachable) this.logger.info('coordinator reachable');
    this.health = { reachable: true, lastError: null };
  }

  private unreachable(err: unknown): void {
    const message = errorMessage(err);
    if (this.health.reachable || this.health.lastError !== message) {
      this.logger.warn(
        { err: message, held: this.heldLinks(), giveUpAfterMs: this.settings.giveUpAfterMs },
        `coordinator unreachable (${message}); held links stop if it stays so for ${this.settings.giveUpAfterMs} ms`,
      );
    }
    this.health = { reachable: false, lastError: message };
  }

  /** The ids this member balances over: every live member, and itself while it is running. */
  private liveIds(): LiveMember[] {
    const live = this.tracker.live().filter((m) => m.record.id !== this.id);
    return live;
  }

  private async balance(): Promise<void> {
    const others = this.liveIds();
    const ids = [this.id, ...others.map((m) => m.record.id)];
    const assignment = assignLinks(this.links, ids);
    const cap = Math.ceil(this.links.length / ids.length);
    const settled = new Set(others.filter((m) => m.knownMs >= this.settings.rebalanceDelayMs).map((m) => m.record.id));

    // Hand over links another live, settled member should run; a few per round so load moves gradually.
    let moves = Math.max(1, Math.ceil(cap / 2));
    for (const link of this.heldLinks()) {
      const target = assignment.get(link);
      const h = this.held.get(link);
      if (!h || h.stopping || target === undefined || target === this.id || !settled.has(target)) continue;
      if (moves-- <= 0) break;
      this.logger.info({ link, to: target }, `handing link ${link} over to ${target} (rebalance)`);
      this.track(this.handOver(link, 'rebalance'));
    }

    const load = () => [...this.held.values()].filter((h) => !h.stopping).length;
    const order = this.links.filter((l) => !this.held.has(l)).sort(() => this.random() - 0.5);
    for (const link of order) {
      const mine = assignment.get(link) === this.id;
      const observation = await this.observe(link);
      if (observation === undefined) return;
      const free = this.isFree(link, observation);
      if (free === 'no') continue;
      // A free link goes to its assignee; one left free for a whole TTL goes to anyone with room.
      const freeTooLong = free === 'yes' && this.clock.now() - observation.changedAt >= this.settings.leaseTtlMs;
      if (!mine && !(freeTooLong && load() < cap)) continue;
      if (load() >= cap && !mine) continue;
      await this.acquire(link, observation);
    }
  }

  /** Reads a lease record and notes when it changed, on our clock. undefined = the coordinator failed. */
  private async observe(link: string): Promise<Observation | undefined> {
    try {
      const rec = await withDeadline(this.clock, this.settings.renewIntervalMs, `reading the lease of ${link}`, () =>
        this.store.getLease(link),
      );
      const version = rec?.version ?? null;
      const prev = this.observed.get(link);
      if (prev && prev.version === version) return prev;
      const next = { version, value: rec?.value ?? null, changedAt: this.clock.now() };
      this.observed.set(link, next);
      return next;
    } catch (err) {
      this.unreachable(err);
      return undefined;
    }
  }

  /** `yes`: absent or released; `expired`: held but unchanged for a TTL, or ours from this run; `no` otherwise. */
  private isFree(link: string, o: Observation): 'yes' | 'expired' | 'no' {
    if (o.version === null || o.value === null) return 'yes';
    if (!isLeaseRecord(o.value)) {
      this.logger.warn({ link }, `the lease record of ${link} is not one this version writes; waiting out its TTL`);
    } else if (o.value.holder === this.id && o.value.instance === this.instance) {
      // Our own record from before an outage: nobody took it since (the version is the one we saw).
      return 'expired';
    }
    return this.clock.now() - o.changedAt >= this.settings.leaseTtlMs ? 'expired' : 'no';
  }

  private async acquire(link: string, o: Observation): Promise<void> {
    const sentAt = this.clock.now();
    try {
      const intent = await this.readIntent(link);
      const epoch = await withDeadline(this.clock, this.settings.renewIntervalMs, `epoch of ${link}`, () =>
        this.store.nextEpoch(link),
      );
      const record: LeaseRecord = { holder: this.id, instance: this.instance, epoch, renewals: 0 };
      const version = await withDeadline(this.clock, this.settings.renewIntervalMs, `acquiring ${link}`, () =>
        o.version === null
          ? this.store.createLease(link, record, this.settings.leaseTtlMs)
          : this.store.updateLease(link, record, o.version, this.settings.leaseTtlMs),
      );
      if (version === null) {
        this.logger.debug({ link }, `another member took ${link} first`);
        return;
      }
      if (this.stateValue !== 'running') {
        await this.releaseRecord(link, version);
        return;
      }
      const held: Held = {
        version,
        epoch,
        renewals: 0,
        renewedAt: sentAt,
        stopping: false,
        inflight: undefined,
        releasing: false,
        fence: undefined,
      };
      this.held.set(link, held);
      this.armFence(link, held);
      const previous = isLeaseRecord(o.value) ? o.value.holder : null;
      this.logger.info(
        { link, epoch, previousHolder: previous },
        `took the lease of ${link} (epoch ${epoch}${previous ? `, from ${previous}` : ''}); starting it`,
      );
      if (intent.paused) {
        this.paused.add(link);
        this.logger.info({ link }, `link ${link} is paused (an operator asked): holding it without running it`);
      }
      // A checkpoint asked for while no one (or a dead member) held the link is written before it starts.
      const due = pendingCheckpoint(intent);
      if (due) await this.applyCheckpoint(link, held, due);
      else if (!intent.paused) await this.startQuietly(link, epoch);
    } catch (err) {
      this.unreachable(err);
    }
  }

  /** One compare-and-swap renew. false when the lease is gone (the link is then stopping) or unconfirmed. */
  private renew(link: string, held: Held): Promise<boolean> {
    if (held.releasing) return Promise.resolve(false);
    if (held.inflight) return held.inflight;
    const p = this.renewOnce(link, held).finally(() => {
      held.inflight = undefined;
    });
    held.inflight = p;
    return p;
  }

  private async renewOnce(link: string, held: Held): Promise<boolean> {
    const sentAt = this.clock.now();
    const record: LeaseRecord = {
      holder: this.id,
      instance: this.instance,
      epoch: held.epoch,
      renewals: held.renewals + 1,
    };
    let version: string | null;
    try {
      version = await withDeadline(this.clock, this.settings.renewIntervalMs, `renewing ${link}`, () =>
        this.store.updateLease(link, record, held.version, this.settings.leaseTtlMs),
      );
    } catch (err) {
      this.unreachable(err);
      return false;
    }
    if (this.held.get(link) !== held) return false;
    if (version === null) {
      this.lose(link, held, 'lost');
      return false;
    }
    held.version = version;
    held.renewals = record.renewals;
    held.renewedAt = Math.max(held.renewedAt, sentAt);
    this.armFence(link, held);
    return true;
  }

  private armFence(link: string, held: Held): void {
    held.fence?.abort();
    const fence = new AbortController();
    held.fence = fence;
    const due = held.renewedAt + this.settings.giveUpAfterMs - this.clock.now();
    this.clock.sleep(Math.max(0, due), fence.signal).then(
      () => this.lose(link, held, 'fenced'),
      () => undefined,
    );
  }

  /** The lease is gone (`lost`) or unconfirmed too long (`fenced`): stop the link now, without a release. */
  private lose(link: string, held: Held, reason: 'lost' | 'fenced'): void {
    if (this.held.get(link) !== held) return;
    held.fence?.abort();
    this.held.delete(link);
    this.observed.delete(link);
    this.paused.delete(link);
    if (reason === 'lost') this.logger.warn({ link }, `lost the lease of ${link} to another member; stopping it`);
    else
      this.logger.warn(
        { link, giveUpAfterMs: this.settings.giveUpAfterMs },
        `could not renew the lease of ${link} for ${this.settings.giveUpAfterMs} ms; stopping it before anyone may take it`,
      );
    this.track(this.stopQuietly(link, reason));
  }

  private serial(link: string, step: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(link) ?? Promise.resolve()).then(step);
    this.chains.set(link, next);
    void next.finally(() => {
      if (this.chains.get(link) === next) this.chains.delete(link);
    });
    return next;
  }

  private stopQuietly(link: string, reason: StopReason): Promise<void> {
    return this.serial(link, async () => {
      try {
        await this.runner.stop(link, reason);
      } catch (err) {
        this.logger.error({ link, err: errorMessage(err) }, `stopping link ${link} failed`);
      }
    });
  }

  /** Stops the link (draining), then releases its lease, renewing meanwhile, and wakes the successors. */
  private async handOver(link: string, reason: StopReason): Promise<void> {
    const held = this.held.get(link);
    if (!held || held.stopping) return;
    held.stopping = true;
    await this.stopQuietly(link, reason);
    if (this.held.get(link) !== held) return;
    held.releasing = true;
    await held.inflight;
    if (this.held.get(link) !== held) return;
    held.fence?.abort();
    this.held.delete(link);
    this.observed.delete(link);
    this.paused.delete(link);
    await this.releaseRecord(link, held.version);
  }

  private async releaseRecord(link: string, version: string): Promise<void> {
    try {
      const ok = await withDeadline(this.clock, this.settings.renewIntervalMs, `releasing ${link}`, () =>
        this.store.releaseLease(link, version),
      );
      if (!ok) return;
      this.logger.info({ link }, `released the lease of ${link}`);
      await withDeadline(this.clock, this.settings.renewIntervalMs, 'publishing', () =>
        this.store.publish({ from: this.id, type: 'released', link }),
      );
    } catch (err) {
      this.logger.warn({ link, err: errorMessage(err) }, `could not release ${link}; it frees after its TTL`);
    }
  }
}
