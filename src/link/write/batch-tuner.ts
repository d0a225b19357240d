import type { LinkBatchOptions } from '../link-options.js';

/**
 * Adaptive batch size, a gradient limiter in the style of Netflix concurrency-limits applied to the append
 * size. Each evaluation window (a few saturated appends) compares the window's per-event latency with a
 * slowly decaying floor: near the floor the size grows by sqrt(size) (the "queue" allowance), above it the
 * size is scaled by floor/latency (never below half); an error halves it. Only appends that were limited by
 * the size (more events were waiting) teach the tuner anything: an idle link keeps its size.
 *
 * A shrink also needs the latency per append to be above its own floor. Per-event latency alone cannot
 * tell a slower server from a smaller batch: every append has a fixed cost, so a smaller batch always costs
 * more per event. Judged on that alone, one stall (a GC pause, a busy machine) after a catch-up had taught
 * a low floor shrank the size, the smaller size read as slower still, and the size fell to `minEvents` and
 * stayed there: a live link then wrote one event per append and fell seconds behind a steady 5,000 events/s.
 *
 * Unlike Linker's tuner (whose resize cancels its own workers, linker-reference.md section 1) this only
 * changes a number that the lanes read before their next batch; nothing is restarted.
 */
export interface TunerDecision {
  previous: number;
  next: number;
  latencyMsPerEvent: number;
  floorMsPerEvent: number;
  eventsPerSecond: number;
  reason: 'grow' | 'shrink' | 'hold' | 'error';
}

export class BatchTuner {
  private current: number;
  private floor = Number.POSITIVE_INFINITY;
  private appendFloor = Number.POSITIVE_INFINITY;
  private windowEvents = 0;
  private windowMs = 0;
  private windowSamples = 0;
  static readonly WINDOW = 5;
  static readonly TOLERANCE = 2;

  constructor(private readonly options: LinkBatchOptions) {
    this.current = options.adaptive
      ? clamp(options.initialEvents, options.minEvents, options.maxEvents)
      : options.initialEvents;
  }

  get size(): number {
    return this.current;
  }

  /** Records one successful append; returns a decision at the end of an evaluation window. */
  recordSuccess(events: number, latencyMs: number, saturated: boolean): TunerDecision | undefined {
    if (!this.options.adaptive || !saturated || events <= 0) return undefined;
    this.windowEvents += events;
    this.windowMs += Math.max(latencyMs, 0.001);
    this.windowSamples++;
    if (this.windowSamples < BatchTuner.WINDOW) return undefined;
    const perEvent = this.windowMs / this.windowEvents;
    const perAppend = this.windowMs / this.windowSamples;
    const eventsPerSecond = (this.windowEvents / this.windowMs) * 1000;
    this.windowEvents = 0;
    this.windowMs = 0;
    this.windowSamples = 0;
    // The floor decays upwards a little each window so it can follow a slower network.
    this.floor = Math.min(this.floor * 1.05, perEvent);
    this.appendFloor = Math.min(this.appendFloor * 1.05, perAppend);
    const previous = this.current;
    let reason: TunerDecision['reason'];
    const slower = perEvent > this.floor * BatchTuner.TOLERANCE && perAppend > this.appendFloor * BatchTuner.TOLERANCE;
    if (!slower) {
      this.current = Math.ceil(previous + Math.sqrt(previous));
      reason = 'grow';
    } else {
      const gradient = Math.max(0.5, (this.floor * BatchTuner.TOLERANCE) / perEvent);
      this.current = Math.floor(previous * gradient);
      reason = 'shrink';
    }
    this.current = clamp(this.current, this.options.minEvents, this.options.maxEvents);
    if (this.current === previous) reason = 'hold';
    return {
      previous,
      next: this.current,
      latencyMsPerEvent: perEvent,
      floorMsPerEvent: this.floor,
      eventsPerSecond,
      reason,
    };
  }

  /** A transient failure halves the size (multiplicative decrease). */
  recordError(): TunerDecision | undefined {
    if (!this.options.adaptive) return undefined;
    const previous = this.current;
    this.current = clamp(Math.floor(previous / 2), this.options.minEvents, this.options.maxEvents);
    this.windowEvents = 0;
    this.windowMs = 0;
    this.windowSamples = 0;
    return {
      previous,
      next: this.current,
      latencyMsPerEvent: 0,
      floorMsPerEvent: this.floor,
      eventsPerSecond: 0,
      reason: this.current === previous ? 'hold' : 'error',
    };
  }
}

function clamp(v: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(v)));
}
