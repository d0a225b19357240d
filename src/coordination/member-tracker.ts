import type { MemberRecord } from './coordination-store.js';
import type { MonotonicClock } from './monotonic-clock.js';

interface Seen {
  record: MemberRecord;
  /** When this process saw the record change (its own monotonic clock). */
  changedAt: number;
  /** When this process first saw the member alive in its current run. */
  firstSeenAt: number;
}

export interface LiveMember {
  record: MemberRecord;
  /** Milliseconds since this process last saw the member's heartbeat change. */
  silentMs: number;
  /** Milliseconds since this process first saw it alive. */
  knownMs: number;
}

/**
 * Judges liveness from heartbeats as this process observes them: a member is alive while its `seq` keeps
 * changing within `deadAfterMs` on our own monotonic clock. Timestamps written by other machines are never
 * read, so clock skew between hosts does not matter.
 */
export class MemberTracker {
  private readonly seen = new Map<string, Seen>();

  constructor(
    private readonly clock: MonotonicClock,
    private readonly deadAfterMs: number,
  ) {}

  observe(records: readonly MemberRecord[]): void {
    const now = this.clock.now();
    for (const record of records) {
      const prev = this.seen.get(record.id);
      if (record.left) {
        this.seen.delete(record.id);
        continue;
      }
      if (!prev) {
        this.seen.set(record.id, { record, changedAt: now, firstSeenAt: now });
      } else if (prev.record.seq !== record.seq) {
        const wasDead = now - prev.changedAt > this.deadAfterMs;
        this.seen.set(record.id, { record, changedAt: now, firstSeenAt: wasDead ? now : prev.firstSeenAt });
      } else {
        prev.record = record;
      }
    }
  }

  /** Members alive now, sorted by id. */
  live(): LiveMember[] {
    const now = this.clock.now();
    const out: LiveMember[] = [];
    for (const s of this.seen.values()) {
      const silentMs = now - s.changedAt;
      if (silentMs <= this.deadAfterMs) out.push({ record: s.record, silentMs, knownMs: now - s.firstSeenAt });
    }
    return out.sort((a, b) => (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0));
  }

  /** Forget a member that said it left (its own last record). */
  forget(id: string): void {
    this.seen.delete(id);
  }
}
