/**
 * A hand-written decoder for `BatchAppendReq`, the hottest request (one per 100-event batch, every event's id,
 * metadata map and payload). It produces the same shape proto-loader would (keepCase, uint64/int64 as decimal
 * strings, bytes as Buffers sharing the request's memory, `value`/oneof names) for the fields the handler reads,
 * and throws on anything unusual so the caller can fall back to the generic decoder.
 *
 * Field numbers (streams.proto, shared.proto): BatchAppendReq { correlation_id = 1; options = 2;
 * proposed_messages = 3; is_final = 4 }; Options { stream_identifier = 1; stream_position = 2 | no_stream = 3 |
 * any = 4 | stream_exists = 5; deadline = 6 }; ProposedMessage { id = 1; metadata = 2 (map); custom_metadata = 3;
 * data = 4 }; UUID { structured = 1 | string = 2 }; Structured { msb = 1; lsb = 2 }; StreamIdentifier
 * { stream_name = 3 }; Timestamp { seconds = 1; nanos = 2 }.
 */

import { ProtoReader as Reader } from '../../shared/protobuf/proto-reader.js';

const EMPTY: Buffer = Buffer.alloc(0);

type Uuid =
  | { value: 'string'; string: string; structured: null }
  | {
      value: 'structured';
      structured: { most_significant_bits: string; least_significant_bits: string };
      string?: undefined;
    };

function readUuid(r: Reader): Uuid | null {
  let result: Uuid | null = null;
  while (!r.done) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if (field === 1 && (tag & 7) === 2) {
      const s = r.sub();
      let msb = 0n;
      let lsb = 0n;
      while (!s.done) {
        const t = s.uint32();
        if (t === 0x08) msb = s.uint64();
        else if (t === 0x10) lsb = s.uint64();
        else s.skip(t & 7);
      }
      result = {
        value: 'structured',
        structured: {
          most_significant_bits: BigInt.asIntN(64, msb).toString(),
          least_significant_bits: BigInt.asIntN(64, lsb).toString(),
        },
      };
    } else if (field === 2 && (tag & 7) === 2) {
      result = { value: 'string', string: r.string(), structured: null };
    } else {
      r.skip(tag & 7);
    }
  }
  return result;
}

function readOptions(r: Reader): Record<string, unknown> {
  const options: Record<string, unknown> = { stream_identifier: null, deadline: null };
  const setExpected = (name: string, value: unknown): void => {
    for (const k of ['stream_position', 'no_stream', 'any', 'stream_exists']) delete options[k];
    options[name] = value;
    options.expected_stream_position = name;
  };
  while (!r.done) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a: {
        const s = r.sub();
        let name: Buffer = EMPTY;
        while (!s.done) {
          const t = s.uint32();
          if (t === 0x1a) name = s.bytes();
          else s.skip(t & 7);
        }
        options.stream_identifier = { stream_name: name };
        break;
      }
      case 0x10:
        setExpected('stream_position', r.uint64().toString());
        break;
      case 0x1a:
        r.span();
        setExpected('no_stream', {});
        break;
      case 0x22:
        r.span();
        setExpected('any', {});
        break;
      case 0x2a:
        r.span();
        setExpected('stream_exists', {});
        break;
      case 0x32: {
        const s = r.sub();
        let seconds = 0n;
        let nanos = 0;
        while (!s.done) {
          const t = s.uint32();
          if (t === 0x08) seconds = BigInt.asIntN(64, s.uint64());
          else if (t === 0x10) nanos = Number(BigInt.asIntN(32, s.uint64()));
          else s.skip(t & 7);
        }
        options.deadline = { seconds: seconds.toString(), nanos };
        break;
      }
      default:
        r.skip(tag & 7);
    }
  }
  return options;
}

function readProposed(r: Reader): Record<string, unknown> {
  let id: Uuid | null = null;
  const metadata: Record<string, string> = {};
  let customMetadata: Buffer = EMPTY;
  let data: Buffer = EMPTY;
  while (!r.done) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a:
        id = readUuid(r.sub());
        break;
      case 0x12: {
        const s = r.sub();
        let key = '';
        let value = '';
        while (!s.done) {
          const t = s.uint32();
          if (t === 0x0a) key = s.string();
          else if (t === 0x12) value = s.string();
          else s.skip(t & 7);
        }
        metadata[key] = value;
        break;
      }
      case 0x1a:
        customMetadata = r.bytes();
        break;
      case 0x22:
        data = r.bytes();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return { id, metadata, custom_metadata: customMetadata, data };
}

/** Decodes a BatchAppendReq; throws on malformed or unusual input (the caller falls back to protobufjs). */
export function decodeBatchAppendReq(buf: Buffer): Record<string, unknown> {
  const r = new Reader(buf, 0, buf.length);
  let correlationId: Uuid | null = null;
  let options: Record<string, unknown> | null = null;
  const proposed: Record<string, unknown>[] = [];
  let isFinal = false;
  while (!r.done) {
    const tag = r.uint32();
    switch (tag) {
      case 0x0a:
        correlationId = readUuid(r.sub());
        break;
      case 0x12:
        options = readOptions(r.sub());
        break;
      case 0x1a:
        proposed.push(readProposed(r.sub()));
        break;
      case 0x20:
        isFinal = r.uint64() !== 0n;
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return { correlation_id: correlationId, options, proposed_messages: proposed, is_final: isFinal };
}
