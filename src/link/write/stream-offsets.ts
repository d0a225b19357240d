/**
 * Per destination stream: origin revision minus destination revision. 0 (mirrored numbering) is the
 * default and is not stored, so the map only holds streams whose origin starts above 0 or that diverged;
 * it is bounded (least recently used evicted) and any evicted entry is derived again from the destination
 * after the next wrong-expected-version answer.
 */
export class StreamOffsets {
  private readonly map = new Map<string, bigint>();

  constructor(private readonly capacity = 100_000) {}

  get(stream: string): bigint {
    const v = this.map.get(stream);
    if (v === undefined) return 0n;
    this.map.delete(stream);
    this.map.set(stream, v);
    return v;
  }

  set(stream: string, offset: bigint): void {
    this.map.delete(stream);
    if (offset === 0n) return;
    this.map.set(stream, offset);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }

  get size(): number {
    return this.map.size;
  }
}
