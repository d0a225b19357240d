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

/**
 * Eviction goes through a ring of the ids in the order they were added, not through the Map's own order:
 * taking a Map's oldest key (`keys().next()`) after many deletes walks the deleted slots V8 keeps until its
 * next rehash, which made every append past the capacity cost time growing with the log (a restart on a
 * 200,000-event log spent 3 s on its last quarter against 0.1 s on its second).
 */
export class RecentIds {
  private readonly entries = new Map<string, number>();
  private readonly ringIds: (string | undefined)[];
  private readonly ringIndices: Float64Array;
  private next = 0;

  constructor(
    private readonly capacity: number,
    private readonly resolve: (logIndex: number) => CommittedId,
  ) {
    this.ringIds = new Array<string | undefined>(capacity);
    this.ringIndices = new Float64Array(capacity);
  }

  get(eventId: string): CommittedId | undefined {
    const index = this.entries.get(eventId);
    return index === undefined ? undefined : this.resolve(index);
  }

  /** Remembers an id (a re-added id points at its newest index); the id added `capacity` adds ago is dropped. */
  add(eventId: string, logIndex: number): void {
    if (this.capacity <= 0) return;
    const slot = this.next;
    const evicted = this.ringIds[slot];
    // An id added again since it took this slot lives on under its newer slot.
    if (evicted !== undefined && this.entries.get(evicted) === this.ringIndices[slot]) this.entries.delete(evicted);
    this.ringIds[slot] = eventId;
    this.ringIndices[slot] = logIndex;
    this.entries.set(eventId, logIndex);
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
  }
}
