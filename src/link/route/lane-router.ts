import PQueue from 'p-queue';
import { takeBatch } from '../write/batcher.js';
import type { WorkItem } from './work-item.js';

/** How long a catch-up lane with less than a full batch waits for more of its events. */
const COALESCE_MS = 3;

interface Lane {
  key: string;
  items: WorkItem[];
  scheduled: boolean;
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
  /** Whether a lane with less than a full batch should let the reader add to it first (catch-up). */
  coalesce(): boolean;
  /** Buffer content changed (events and bytes held from routing to acknowledgement). */
  onBufferChange(events: number, bytes: number): void;
}

/**
 * Per-stream lanes over a bounded worker pool. A lane is sequential (per-stream order); a lane with work
 * takes one batch per turn and goes to the back of the pool's queue, so a busy stream cannot starve the
 * others. Lanes exist only while they hold work, so the map is bounded by the buffer.
 */
export class LaneRouter {
  private readonly lanes = new Map<string, Lane>();
  private readonly queue: PQueue;
  private events = 0;
  private bytes = 0;
  private stopped = false;

  constructor(private readonly options: LaneRouterOptions) {
    this.queue = new PQueue({ concurrency: Math.max(1, options.concurrency) });
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
      lane = { key: item.laneKey, items: [], scheduled: false };
      this.lanes.set(item.laneKey, lane);
    }
    lane.items.push(item);
    this.events++;
    this.bytes += item.bytes;
    this.options.onBufferChange(this.events, this.bytes);
    if (!lane.scheduled) this.schedule(lane);
  }

  private schedule(lane: Lane): void {
    lane.scheduled = true;
    void this.queue.add(() => this.turn(lane));
  }

  private async turn(lane: Lane): Promise<void> {
    if (this.stopped) return;
    let limits = this.options.limits();
    if (lane.items.length < limits.events && this.options.coalesce()) {
      // During catch-up events arrive in bursts: a short pause lets the burst land here, so the append
      // carries a batch instead of a single event (a few ms against a round trip per event).
      await new Promise((resolve) => setTimeout(resolve, COALESCE_MS));
      if (this.stopped) return;
      limits = this.options.limits();
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

  /** Resolves when every routed item is written (or the router stopped). */
  async onIdle(): Promise<void> {
    await this.queue.onIdle();
  }

  /** Stops taking new batches; batches already being written finish or fail on their own signal. */
  stop(): void {
    this.stopped = true;
    this.queue.clear();
  }
}
