/** Bytes per shared chunk; a payload above a quarter of it gets a chunk of its own (bounds the waste per chunk). */
const CHUNK_BYTES = 4 * 1024 * 1024;
const OWN_CHUNK_ABOVE = CHUNK_BYTES / 4;
const EMPTY = Buffer.alloc(0);

/**
 * Event payloads copied into large shared buffers: a million stored events are a few hundred buffers rather
 * than two million small ones, which keeps the heap the garbage collector walks (and its pauses) flat as the
 * log grows, and frees the request buffers the payloads arrived in. Append-only, like the log.
 */
export class PayloadArena {
  private readonly chunks: Buffer[] = [];
  private current: Buffer | undefined;
  /** Index of `current` in `chunks` (own chunks of large payloads go after it, so it is not always the last). */
  private currentIndex = 0;
  private used = 0;
  /** Where the last `write` put its bytes (fields, so a write allocates nothing). */
  lastChunk = 0;
  lastOffset = 0;

  /** Copies `a` then `b` contiguously; read back with `view`. */
  write(a: Uint8Array, b: Uint8Array): void {
    const size = a.length + b.length;
    let target: Buffer;
    let offset: number;
    if (size > OWN_CHUNK_ABOVE) {
      target = Buffer.allocUnsafeSlow(size);
      offset = 0;
      this.lastChunk = this.chunks.push(target) - 1;
    } else {
      if (this.current === undefined || this.used + size > CHUNK_BYTES) {
        this.current = Buffer.allocUnsafeSlow(CHUNK_BYTES);
        this.currentIndex = this.chunks.push(this.current) - 1;
        this.used = 0;
      }
      target = this.current;
      offset = this.used;
      this.used += size;
      this.lastChunk = this.currentIndex;
    }
    target.set(a, offset);
    target.set(b, offset + a.length);
    this.lastOffset = offset;
  }

  /** A view (no copy) of `length` bytes at `offset` in chunk `chunk`. */
  view(chunk: number, offset: number, length: number): Buffer {
    if (length === 0) return EMPTY;
    return (this.chunks[chunk] as Buffer).subarray(offset, offset + length);
  }
}
