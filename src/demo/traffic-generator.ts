import { ANY, jsonEvent, type EventStoreDBClient } from '@eventstore/db-client';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';

export interface TrafficSide {
  node: string;
  client: EventStoreDBClient;
  /** Streams only this side writes (no conflicts). */
  streams: readonly string[];
}

export interface TrafficOptions {
  sides: readonly TrafficSide[];
  /** Streams both sides write now and then: the source of the demo's conflicts. */
  sharedStreams: readonly string[];
  /** Events per second over all sides. */
  rate: number;
  /** One in this many events goes to a shared stream. */
  sharedEvery: number;
  clock: Clock;
  onError(node: string, message: string): void;
}

export type TrafficState = 'idle' | 'running' | 'stopped';

const TICK_MS = 100;

/** Writes a steady stream of business-looking events to each side at `rate` events per second. */
export class TrafficGenerator {
  private stateValue: TrafficState = 'idle';
  private readonly written = new Map<string, number>();
  private sequence = 0;

  constructor(private readonly options: TrafficOptions) {
    for (const side of options.sides) this.written.set(side.node, 0);
  }

  get state(): TrafficState {
    return this.stateValue;
  }

  /** Events written so far, per node. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.written);
  }

  /** Runs until `signal` aborts; write failures are reported and the loop goes on (nodes may be busy). */
  async run(signal: AbortSignal): Promise<void> {
    this.stateValue = 'running';
    const started = this.options.clock.now();
    let issued = 0;
    try {
      while (!signal.aborted) {
        // Pace by elapsed time, not by ticks: a slow tick is caught up by the next one (bounded to one second).
        const target = Math.floor(((this.options.clock.now() - started) * this.options.rate) / 1000);
        const due = Math.min(target - issued, this.options.rate);
        issued = Math.max(issued + due, target - this.options.rate);
        if (due > 0) await Promise.all(Array.from({ length: due }, () => this.writeOne()));
        await this.options.clock.sleep(TICK_MS, signal).catch(() => undefined);
      }
    } finally {
      this.stateValue = 'stopped';
    }
  }

  private async writeOne(): Promise<void> {
    const seq = this.sequence++;
    const { sides, sharedStreams, sharedEvery } = this.options;
    if (sharedStreams.length > 0 && seq % sharedEvery === sharedEvery - 1) {
      // Both sides write the shared stream at the same moment: each copy then finds the other side's
      // event at its revision, which is exactly what a conflict is.
      const stream = sharedStreams[Math.floor(seq / sharedEvery) % sharedStreams.length]!;
      await Promise.all(sides.map((side) => this.append(side, stream, 'CartUpdated', seq)));
      return;
    }
    const side = sides[seq % sides.length]!;
    const stream = side.streams[Math.floor(seq / sides.length) % side.streams.length]!;
    await this.append(side, stream, stream.startsWith('order') ? 'OrderPlaced' : 'PaymentReceived', seq);
  }

  private async append(side: TrafficSide, stream: string, type: string, seq: number): Promise<void> {
    const event = jsonEvent({
      type,
      data: { seq, node: side.node, amount: (seq % 97) + 0.5, at: new Date(this.options.clock.now()).toISOString() },
      metadata: { source: 'esdb-linker-demo', node: side.node },
    });
    try {
      await side.client.appendToStream(stream, event, { expectedRevision: ANY });
      this.written.set(side.node, (this.written.get(side.node) ?? 0) + 1);
    } catch (err) {
      this.options.onError(side.node, errorMessage(err));
    }
  }
}
