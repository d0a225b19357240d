// ProtoReader's varints against google-protobuf's writer (the encoder the client and most servers' peers use).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { ProtoReader } from '../../src/shared/protobuf/proto-reader.js';

const require = createRequire(import.meta.url);
const jspb = createRequire(require.resolve('@eventstore/db-client'))('google-protobuf') as {
  BinaryWriter: new () => {
    writeUint64String(field: number, value: string): void;
    writeInt64String(field: number, value: string): void;
    writeBytes(field: number, value: Uint8Array): void;
    getResultBuffer(): Uint8Array;
  };
};

function reader(bytes: Uint8Array): ProtoReader {
  const buf = Buffer.from(bytes);
  return new ProtoReader(buf, 0, buf.length);
}

describe('ProtoReader', () => {
  it('reads every size of uint64 varint exactly, around the 49-bit fast path and 2^53', () => {
    const values = [0n, 1n, 127n, 128n, 2n ** 49n - 1n, 2n ** 49n, 2n ** 53n + 1n, 2n ** 56n + 3n, 2n ** 63n];
    values.push(2n ** 64n - 1n);
    for (let bits = 1n; bits < 64n; bits += 7n) values.push(2n ** bits - 1n, 2n ** bits);
    for (const value of values) {
      const w = new jspb.BinaryWriter();
      w.writeUint64String(1, value.toString());
      const r = reader(w.getResultBuffer());
      assert.equal(r.uint32(), 0x08);
      assert.equal(r.uint64(), value, `value ${value}`);
      assert.equal(r.done, true);
    }
  });

  it('reads negative int64 (ten-byte varints) as their unsigned 64-bit pattern', () => {
    for (const value of [-1n, -(2n ** 63n), -123456789012345678n]) {
      const w = new jspb.BinaryWriter();
      w.writeInt64String(1, value.toString());
      const r = reader(w.getResultBuffer());
      r.uint32();
      assert.equal(BigInt.asIntN(64, r.uint64()), value);
    }
  });

  it('steps over length-delimited fields and refuses truncated input', () => {
    const w = new jspb.BinaryWriter();
    w.writeBytes(1, Buffer.from('hello'));
    w.writeUint64String(2, '300');
    const bytes = Buffer.from(w.getResultBuffer());
    const r = reader(bytes);
    assert.equal(r.uint32(), 0x0a);
    const start = r.skipBytes();
    assert.equal(bytes.toString('utf8', start, r.pos), 'hello');
    assert.equal(r.uint32(), 0x10);
    assert.equal(r.uint64(), 300n);

    const truncated = reader(bytes.subarray(0, 4));
    truncated.uint32();
    assert.throws(() => truncated.skipBytes(), RangeError);
    assert.throws(() => reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80])).uint64(), RangeError);
    assert.throws(() => reader(Buffer.alloc(11, 0xff)).uint64(), RangeError);
  });
});
