/**
 * Bounded cache of recently committed event ids, the emulator's version of the real server's
 * `_committedEvents`. It backs idempotency for `any`/`stream_exists` appends, which is therefore
 * best-effort for old events exactly as on the real server (explicit revisions use the stream index).
 * It keeps each id's log index (a small integer) and reads the rest from the log, so its fixed size costs
 * no object per entry.
 */
export interface CommittedId {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: number;
}

export class RecentIds {
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly capacity: number,
    private readonly resolve: (logIndex: number) => CommittedId,
  ) {}

  get(eventId: string): CommittedId | undefined {
    const index = this.entries.get(eventId);
    return index === undefined ? undefined : this.resolve(index);
  }

  add(eventId: string, logIndex: number): void {
    this.entries.delete(eventId);
    this.entries.set(eventId, logIndex);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
