/**
 * Bounded cache of recently committed event ids, the emulator's version of the real server's
 * `_committedEvents`. It backs idempotency for `any`/`stream_exists` appends, which is therefore
 * best-effort for old events exactly as on the real server (explicit revisions use the stream index).
 */
export interface CommittedId {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: number;
}

export class RecentIds {
  private readonly entries = new Map<string, CommittedId>();

  constructor(private readonly capacity: number) {}

  get(eventId: string): CommittedId | undefined {
    return this.entries.get(eventId);
  }

  add(eventId: string, info: CommittedId): void {
    this.entries.delete(eventId);
    this.entries.set(eventId, info);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }
}
