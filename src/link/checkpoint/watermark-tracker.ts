import type { Position } from '@eventstore/db-client';

interface Entry {
  position: Position;
  done: boolean;
  createdMs: number;
}

/**
 * The low watermark of a link: the origin position at or below which everything the link must copy is
 * acknowledged. Entries arrive in origin order (positions increase); lanes acknowledge in any order. Events
 * that need no copy (filtered, loop prevention) and subscription checkpoints are entries that are done at
 * once, so they advance the watermark as soon as everything before them is acknowledged.
 */
export class WatermarkTracker {
  private readonly entries: (Entry | undefined)[] = [];
  private head = 0;
  private base = 0;
  private pending = 0;
  private safe: Position | null;

  constructor(start: Position | null) {
    this.safe = start;
  }

  /** Registers an event that must be acknowledged; returns its ticket. */
  track(position: Position, createdMs: number): number {
    this.entries.push({ position, done: false, createdMs });
    this.pending++;
    return this.base + this.entries.length - 1;
  }

  /** A position considered but not to be copied. */
  pass(position: Position): void {
    if (this.head === this.entries.length) {
      this.safe = position;
      return;
    }
    this.entries.push({ position, done: true, createdMs: 0 });
  }

  ack(ticket: number): void {
    const entry = this.entries[ticket - this.base];
    if (!entry || entry.done) return;
    entry.done = true;
    this.pending--;
    this.advance();
  }

  private advance(): void {
    while (this.head < this.entries.length) {
      const e = this.entries[this.head]!;
      if (!e.done) break;
      this.safe = e.position;
      this.entries[this.head] = undefined;
      this.head++;
    }
    // Compact now and then so the array does not grow with the link's lifetime.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
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
    const e = this.entries[this.head];
    return e && !e.done ? e.createdMs : undefined;
  }

  /** Whether some unacknowledged event sits at or below `position`. */
  hasPendingAtOrBelow(position: Position): boolean {
    const e = this.entries[this.head];
    if (!e) return false;
    return (
      e.position.commit < position.commit ||
      (e.position.commit === position.commit && e.position.prepare <= position.prepare)
    );
  }
}
