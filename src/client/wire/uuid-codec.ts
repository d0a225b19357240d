import type { ProtoReader } from '../../shared/protobuf/proto-reader.js';

/**
 * `UUID { oneof value { Structured structured = 1; string string = 2; } }` as text: the string form as sent,
 * the structured form (two int64 halves, big-endian, as the client's parseUUID lays them out) as
 * lower-case 8-4-4-4-12. The last member on the wire wins, as in protobuf; `undefined` when neither is there.
 */
export function decodeUuid(r: ProtoReader): string | undefined {
  let text: string | undefined;
  while (!r.done) {
    const tag = r.uint32();
    if (tag === 0x0a) text = decodeStructuredUuid(r.sub());
    else if (tag === 0x12) text = r.string();
    else r.skip(tag & 7);
  }
  return text;
}

function decodeStructuredUuid(r: ProtoReader): string {
  let msb = 0n;
  let lsb = 0n;
  while (!r.done) {
    const tag = r.uint32();
    if (tag === 0x08) msb = r.uint64();
    else if (tag === 0x10) lsb = r.uint64();
    else r.skip(tag & 7);
  }
  const hex = msb.toString(16).padStart(16, '0') + lsb.toString(16).padStart(16, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
