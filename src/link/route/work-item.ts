import type { Position } from '@eventstore/db-client';
import type { EventKind } from '../filter/event-filter.js';

/** One origin event on its way to the destination. */
export interface WorkItem {
  /** Watermark ticket, acknowledged once the destination holds the event (or the conflict policy ran). */
  ticket: number;
  kind: 'append' | 'tombstone';
  eventKind: EventKind;
  /** Lane key: the user stream (a stream and its `$$` metastream share one lane). */
  laneKey: string;
  originStream: string;
  destStream: string;
  /** Origin revision. */
  revision: bigint;
  position: Position;
  id: string;
  type: string;
  contentType: 'application/json' | 'application/octet-stream';
  data: Uint8Array;
  /** Metadata as read from the origin. */
  originalMetadata: Uint8Array;
  /** Metadata to write (annotated when the link annotates and it is a JSON object). */
  metadata: Uint8Array;
  createdMs: number;
  /**
   * The link annotates, but this event's metadata is not a JSON object and carries no `$origin`: loop
   * prevention cannot see where it came from, so the writer checks the destination for its id first.
   */
  unmarked: boolean;
  /**
   * A `$$` metadata event or tombstone of a link whose filters pick single events: written only when the
   * destination stream already exists (see `CompiledFilter.selectsEvents`).
   */
  followsStream: boolean;
  /** Approximate append size: data + metadata + type + per-event framing. */
  bytes: number;
}

export const EVENT_OVERHEAD_BYTES = 128;
