import type { Position } from '@eventstore/db-client';
import { rawBytesOf } from '../../client/raw-bytes.js';

/**
 * What the link needs of one origin event: the fields `LinkerService.onEvent` and `EventRouter` read. The
 * hand-decoded subscription delivers exactly this (`ReadRespEvent`), and the worker thread's batches unpack
 * into it, so an event costs the link one object before it is routed. `data`/`metadata` are never parsed:
 * the link copies bytes.
 */
export interface OriginEventFields {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  /** The event's position in `$all`. */
  commit: bigint;
  prepare: bigint;
  createdMs: number;
  isJson: boolean;
  data: Uint8Array;
  metadata: Uint8Array;
}

/** An event read with the stock client (with the raw-bytes hooks installed), as the link routes it. */
export function originEventOf(event: {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  isJson: boolean;
  created: Date;
  position?: Position | undefined;
}): OriginEventFields {
  const raw = rawBytesOf(event as never);
  return {
    streamId: event.streamId,
    id: event.id,
    type: event.type,
    revision: event.revision,
    commit: event.position?.commit ?? 0n,
    prepare: event.position?.prepare ?? 0n,
    createdMs: event.created.getTime(),
    isJson: event.isJson,
    data: raw.data,
    metadata: raw.metadata,
  };
}
