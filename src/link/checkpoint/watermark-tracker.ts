import type { Position } from '@eventstore/db-client';

/**
 * The low watermark of a link: the origin position at or below which everything the link must copy is
 * acknowledged. Entries arrive in origin order (positions increase); lanes acknowledge in any order. Events
 * that need no copy (filtered, loop prevention) and subscription checkpoints are entries that are done at
 * once, so they advance the watermark as soon as everything before them is acknowledged.
 *
 * Entries live in three parallel arrays rather than an object each: a link holds one per buffered event
 * (50,000 by default), and an object per entry was one more object per event for the garbage collector to
 * copy and mark while it waits.
 */
export class WatermarkTracker {
  private readonly positions: (Position | undefined)[] = [];
  /** 1: acknowledged (or never needed copying); 0: pending. */
  private readonly done: number[] = [];
  private readonly createdMs: number[] = [];
  private head = 0;
  private base = 0;
  private pending = 0;
  private safe: Position | null;

  constructor(start: Position | null) {
    this.safe = start;
  }

  /** Registers an event that must be acknowledged; returns its ticket. */
  track(position: Position, createdMs: number): number {
    this.positions.push(position);
    this.done.push(0);
    this.createdMs.push(createdMs);
    this.pending++;
    return this.base + this.positions.length - 1;
  }

  /** A position considered but not to be copied. */
  pass(position: Position): void {
    if (this.head === this.positions.length) {
      this.safe = position;
      return;
    }
    this.positions.push(position);
    this.done.push(1);
    this.createdMs.push(0);
  }

  ack(ticket: number): void {
    const i = ticket - this.base;
    if (i < this.head || i >= this.positions.length || this.done[i] === 1) return;
    this.done[i] = 1;
    this.pending--;
    this.advance();
  }

  private advance(): void {
    while (this.head < this.positions.length && this.done[this.head] === 1) {
      this.safe = this.positions[this.head]!;
      this.positions[this.head] = undefined;
      this.head++;
    }
    // Compact now and then so the arrays do not grow with the link's lifetime.
    if (this.head > 1024 && this.head * 2 > this.positions.length) {
      this.positions.splice(0, this.head);
      this.done.splice(0, this.head);
      this.createdMs.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }

  /** Everything at or below this position is done (null: nothing yet, start of `$all`). */
  get watermark(): Position | null {
    return this.safe;
  }

  get pendingCount(): number {
    return this.pending;
  }

  /** Created time of the oldest unacknowledged event, or undefined when none is pending. */
  get oldestPendingCreatedMs(): number | undefined {
    return this.head < this.positions.length && this.done[this.head] === 0 ? this.createdMs[this.head] : undefined;
  }

  /** Whether some unacknowledged event sits at or below `position`. */
  hasPendingAtOrBelow(position: Position): boolean {
    const e = this.positions[this.head];
    if (!e) return false;
    return e.commit < position.commit || (e.commit === position.commit && e.prepare <= position.prepare);
  }
}
