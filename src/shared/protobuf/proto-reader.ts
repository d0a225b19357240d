/**
 * A minimal protobuf reader over one buffer span: the hot messages on both sides of the wire (the emulator's
 * BatchAppend requests, the link's subscription events and append replies) are decoded by hand, because a
 * generic decoder's per-field objects cost more than the copy itself at tens of thousands of events a second.
 */
export class ProtoReader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** A varint as a number; only for values known to be small (tags, lengths, bools, nanos). */
  uint32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++] as number;
      if (shift < 28) result |= (b & 0x7f) << shift;
      else result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
      shift += 7;
      if (shift > 63) throw new RangeError('varint too long');
    }
  }

  /** A full 64-bit varint. */
  uint64(): bigint {
    // Positions and revisions rarely exceed 49 bits: summing those in a double is exact and makes one
    // BigInt instead of one per byte.
    let small = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++] as number;
      small += (b & 0x7f) * scale;
      if (b < 0x80) return BigInt(small);
      scale *= 0x80;
    }
    let result = BigInt(small);
    let shift = 49n;
    for (;;) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
      if (shift > 63n) throw new RangeError('varint too long');
    }
  }

  /** Bounds of a length-delimited field's payload. */
  span(): [number, number] {
    const len = this.uint32();
    const start = this.pos;
    const stop = start + len;
    if (stop > this.end) throw new RangeError('truncated field');
    this.pos = stop;
    return [start, stop];
  }

  /** Steps over a length-delimited field; returns where its payload starts (it ends at the new `pos`). */
  skipBytes(): number {
    const len = this.uint32();
    const start = this.pos;
    if (start + len > this.end) throw new RangeError('truncated field');
    this.pos = start + len;
    return start;
  }

  sub(): ProtoReader {
    const [start, stop] = this.span();
    return new ProtoReader(this.buf, start, stop);
  }

  string(): string {
    const [start, stop] = this.span();
    return this.buf.toString('utf8', start, stop);
  }

  bytes(): Buffer {
    const [start, stop] = this.span();
    return this.buf.subarray(start, stop);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.uint64();
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.span();
        return;
      case 5:
        this.pos += 4;
        break;
      default:
        throw new RangeError(`unsupported wire type ${wireType}`);
    }
    if (this.pos > this.end) throw new RangeError('truncated field');
  }
}
