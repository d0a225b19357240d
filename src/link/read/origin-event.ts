import type { AllStreamResolvedEvent } from '@eventstore/db-client';
import { attachRawBytes } from '../../client/raw-bytes.js';

/** What the link needs of one origin event: the fields `LinkerService.onEvent` and `EventRouter` read. */
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

/**
 * The event in the shape the stock subscription delivers (`AllStreamResolvedEvent`), with the raw bytes
 * attached for `rawBytesOf`. `data`/`metadata` are not parsed: the link only copies bytes.
 */
export function toResolvedEvent(fields: OriginEventFields): AllStreamResolvedEvent {
  const position = { commit: fields.commit, prepare: fields.prepare };
  const event = attachRawBytes(
    {
      streamId: fields.streamId,
      id: fields.id,
      type: fields.type,
      revision: fields.revision,
      position,
      created: new Date(fields.createdMs),
      isJson: fields.isJson,
    },
    { data: fields.data, metadata: fields.metadata },
  );
  return { event, commitPosition: position.commit } as unknown as AllStreamResolvedEvent;
}
