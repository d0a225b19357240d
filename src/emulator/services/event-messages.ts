import type { EventStore } from '../store/event-store.js';
import { resolveLink } from '../store/stream-visibility.js';
import type { EventRecord } from '../store/types.js';
import { encodeEventResp, simpleEventResp, type UuidForm } from '../wire/read-resp.js';

export interface EventEncoding {
  resolveLinks: boolean;
  uuidForm: UuidForm;
}

/** The ReadResp for one log record, resolving `$>` links when asked (position = the link's own). */
export function eventMessage(store: EventStore, enc: EventEncoding, record: EventRecord, nowMs: number): Buffer {
  if (enc.resolveLinks && record.eventType === '$>') {
    return encodeEventResp(resolveLink(store, record, nowMs), record, record.position, enc.uuidForm);
  }
  if (enc.uuidForm === 'string') return simpleEventResp(record);
  return encodeEventResp(record, undefined, record.position, enc.uuidForm);
}

export function checkpointMessage(position: number): unknown {
  return { checkpoint: { commit_position: String(position), prepare_position: String(position) } };
}

export function streamNotFoundMessage(streamId: string): unknown {
  return { stream_not_found: { stream_identifier: { stream_name: Buffer.from(streamId, 'utf8') } } };
}

export const caughtUpMessage: unknown = { caught_up: {} };
