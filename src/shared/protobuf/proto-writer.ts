/**
 * A minimal protobuf encoder for the hot messages written by hand (the emulator's recorded events and
 * status details, the link's append requests): it skips a generic encoder's per-field objects on every event.
 */
export class ProtoWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + extra) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Unsigned varint of a non-negative safe integer. */
  varint(value: number): this {
    this.ensure(10);
    let v = value;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** Varint of any 64-bit value (negative values as two's complement, like int64 on the wire). */
  varintBig(value: bigint): this {
    this.ensure(10);
    let v = BigInt.asUintN(64, value);
    while (v > 0x7fn) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  tag(field: number, wireType: 0 | 2): this {
    return this.varint(field * 8 + wireType);
  }

  uint64(field: number, value: number | bigint): this {
    this.tag(field, 0);
    return typeof value === 'bigint' ? this.varintBig(value) : this.varint(value);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2).varint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  string(field: number, value: string): this {
    const len = Buffer.byteLength(value);
    this.tag(field, 2).varint(len);
    this.ensure(len);
    this.pos += this.buf.write(value, this.pos, 'utf8');
    return this;
  }

  /** An empty embedded message (e.g. `Empty`), which is on the wire as a zero-length field. */
  empty(field: number): this {
    return this.tag(field, 2).varint(0);
  }

  /**
   * The bytes written so far without a copy, for a writer sized up front whose output is sent at once. Later
   * writes never change these bytes (they go after them, or into a new buffer when it grows).
   */
  view(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A right-sized copy, so cached encodings don't pin the growth slack. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}
