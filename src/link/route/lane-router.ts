import PQueue from 'p-queue';
import { takeBatch } from '../write/batcher.js';
import type { WorkItem } from './work-item.js';

/**
 * Longest a lane with less than a full batch is held back for more of its events (see `hold`): a bound on
 * the delay when the origin is slow and the buffer never fills. Filling half the default buffer takes a
 * second or two at full speed, so anything much shorter would release lanes before they have filled.
 */
export const MAX_HOLD_MS = 1_000;

interface Lane {
  key: string;
  items: WorkItem[];
  scheduled: boolean;
  /** Waiting in `held` (scheduled, but not in the pool's queue). */
  held: boolean;
  /** Its next turn writes whatever it has: it was held once already (released by time, a full batch, or live). */
  force: boolean;
  /** When it was held (`now()`). */
  heldSince: number;
}

export interface LaneRouterOptions {
  /** Lanes written in parallel. */
  concurrency: number;
  /** Current batch bounds (the tuner may change the count between batches). */
  limits(): { events: number; bytes: number };
  /** Writes one batch; resolves once every item is acknowledged. `saturated`: more events were waiting. */
  process(batch: WorkItem[], saturated: boolean): Promise<void>;
  /** A batch failed for good (halt, abort): the router stops scheduling. */
  onFailure(err: unknown): void;
  /**
   * Whether a lane with less than a full batch should wait for more of its events before it is written
   * (the link says yes during catch-up while its buffer is under half full). Asked again as events arrive.
   */
  hold(): boolean;
  /** Buffer content changed (events and bytes held from routing to acknowledgement). */
  onBufferChange(events: number, bytes: number): void;
  /** Monotonic milliseconds for the hold bound; real time, as the timer that enforces it. @defaultValue performance.now */
  now?: () => number;
}

/**
 * Per-stream lanes over a bounded worker pool. A lane is sequential (per-stream order); a lane with work
 * takes one batch per turn and goes to the back of the pool's queue, so a busy stream cannot starve the
 * others. Lanes exist only while they hold work, so the map is bounded by the buffer.
 *
 * Held lanes: a catch-up `$all` interleaves many streams, so a lane written as soon as it has work carries
 * a handful of events per append, and each append has a large fixed cost on both sides (about 110 µs of
 * client CPU and 120 µs of server CPU against about 10 + 13 µs per event, on the emulator). So while
 * `hold()` says so, a lane with less than a full batch waits outside the pool until the buffer has filled
 * (its events accumulate meanwhile), at most MAX_HOLD_MS; then the held lanes go, fullest first.
 */
export class LaneRouter {
  private readonly lanes = new Map<string, Lane>();
  private readonly queue: PQueue;
  private events = 0;
  private bytes = 0;
  private stopped = false;
  private readonly now: () => number;
  /** Lanes waiting for more events, oldest first. */
  private held = new Set<Lane>();
  private holdTimer: NodeJS.Timeout | undefined;
  /** Set by `onIdle()`: nothing is held from then on. */
  private draining = false;

  constructor(private readonly options: LaneRouterOptions) {
    this.queue = new PQueue({ concurrency: Math.max(1, options.concurrency) });
    this.now = options.now ?? (() => performance.now());
  }

  get bufferedEvents(): number {
    return this.events;
  }

  get bufferedBytes(): number {
    return this.bytes;
  }

  enqueue(item: WorkItem): void {
    let lane = this.lanes.get(item.laneKey);
    if (!lane) {
      lane = { key: item.laneKey, items: [], scheduled: false, held: false, force: false, heldSince: 0 };
      this.lanes.set(item.laneKey, lane);
    }
    lane.items.push(item);
    this.events++;
    this.bytes += item.bytes;
    this.options.onBufferChange(this.events, this.bytes);
    if (!lane.scheduled) this.schedule(lane);
    else if (lane.held && lane.items.length >= this.options.limits().events) {
      this.held.delete(lane);
      this.resume(lane);
    }
    if (this.held.size > 0 && !this.options.hold()) this.release();
  }

  /** Sends every held lane to the pool, fullest first (also when the link goes live or stops). */
  release(): void {
    this.clearHoldTimer();
    if (this.held.size === 0) return;
    const held = [...this.held].sort((a, b) => b.items.length - a.items.length);
    this.held.clear();
    for (const lane of held) this.resume(lane);
  }

  /** Sends the lanes held for MAX_HOLD_MS to the pool; the timer then waits for the next oldest. */
  private releaseExpired(): void {
    this.holdTimer = undefined;
    const cutoff = this.now() - MAX_HOLD_MS;
    for (const lane of this.held) {
      if (lane.heldSince > cutoff) break;
      this.held.delete(lane);
      this.resume(lane);
    }
    this.armHoldTimer();
  }

  private armHoldTimer(): void {
    if (this.holdTimer !== undefined) return;
    const oldest = this.held.values().next();
    if (oldest.done) return;
    const wait = Math.max(0, oldest.value.heldSince + MAX_HOLD_MS - this.now());
    this.holdTimer = setTimeout(() => this.releaseExpired(), wait);
  }

  private clearHoldTimer(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
  }

  private resume(lane: Lane): void {
    lane.held = false;
    lane.force = true;
    void this.queue.add(() => this.turn(lane));
  }

  private schedule(lane: Lane): void {
    lane.scheduled = true;
    void this.queue.add(() => this.turn(lane));
  }

  private async turn(lane: Lane): Promise<void> {
    if (this.stopped) return;
    const limits = this.options.limits();
    const force = lane.force;
    lane.force = false;
    if (!force && !this.draining && lane.items.length < limits.events && this.options.hold()) {
      lane.held = true;
      lane.heldSince = this.now();
      this.held.add(lane);
      this.armHoldTimer();
      return;
    }
    const batch = takeBatch(lane.items, limits.events, limits.bytes);
    const saturated = lane.items.length > 0 || batch.length >= limits.events;
    try {
      await this.options.process(batch, saturated);
    } catch (err) {
      this.stopped = true;
      this.queue.clear();
      this.options.onFailure(err);
      return;
    }
    this.events -= batch.length;
    this.bytes -= batch.reduce((n, i) => n + i.bytes, 0);
    this.options.onBufferChange(this.events, this.bytes);
    if (lane.items.length > 0 && !this.stopped) this.schedule(lane);
    else {
      lane.scheduled = false;
      if (lane.items.length === 0) this.lanes.delete(lane.key);
    }
  }

  /** Resolves when every routed item is written (or the router stopped); held lanes go at once. For a stop. */
  async onIdle(): Promise<void> {
    this.draining = true;
    this.release();
    await this.queue.onIdle();
  }

  /** Stops taking new batches; batches already being written finish or fail on their own signal. */
  stop(): void {
    this.stopped = true;
    this.queue.clear();
    this.held.clear();
    this.clearHoldTimer();
  }
}
