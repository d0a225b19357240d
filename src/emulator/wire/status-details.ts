import { ProtoWriter } from '../../shared/protobuf/proto-writer.js';

/**
 * `google.protobuf.Any` payloads for BatchAppend errors (EventStore's `google.rpc.Status` carries one Any).
 * Encoded by hand: shared.proto's WrongExpectedVersion { current_stream_revision = 1 | current_no_stream = 2;
 * expected_stream_position = 3 | expected_any = 4 | expected_stream_exists = 5 | expected_no_stream = 6 },
 * StreamDeleted { stream_identifier = 1 }, MaximumAppendSizeExceeded { maxAppendSize = 1 }.
 */
export interface AnyMessage {
  type_url: string;
  value: Buffer;
}

const PREFIX = 'type.googleapis.com/event_store.client.';

export function wrongExpectedVersionAny(current: bigint, expected: bigint): AnyMessage {
  const w = new ProtoWriter(32);
  if (current < 0n) w.empty(2);
  else w.uint64(1, current);
  if (expected === -2n) w.empty(4);
  else if (expected === -4n) w.empty(5);
  else if (expected === -1n) w.empty(6);
  else w.uint64(3, expected);
  return { type_url: `${PREFIX}WrongExpectedVersion`, value: w.finish() };
}

export function streamDeletedAny(streamId: string): AnyMessage {
  const ident = new ProtoWriter(streamId.length * 3 + 8).bytes(3, Buffer.from(streamId, 'utf8')).finish();
  return { type_url: `${PREFIX}StreamDeleted`, value: new ProtoWriter(ident.length + 8).bytes(1, ident).finish() };
}

export function maxAppendSizeAny(maxAppendSize: number): AnyMessage {
  const w = new ProtoWriter(16);
  if (maxAppendSize > 0) w.uint64(1, maxAppendSize);
  return { type_url: `${PREFIX}MaximumAppendSizeExceeded`, value: w.finish() };
}

export function emptyAny(name: 'Timeout' | 'Unknown' | 'AccessDenied'): AnyMessage {
  return { type_url: `${PREFIX}${name}`, value: Buffer.alloc(0) };
}

/** shared.proto's BadRequest { string message = 1 }. */
export function badRequestAny(message: string): AnyMessage {
  const w = new ProtoWriter(message.length + 8);
  if (message.length > 0) w.string(1, message);
  return { type_url: `${PREFIX}BadRequest`, value: w.finish() };
}
