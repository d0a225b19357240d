/**
 * What an operator wants of a link, stored on the coordinator so it outlives any owner: whichever member
 * holds the link applies it, and a new owner applies it before starting the link.
 */
export interface LinkIntent {
  paused: boolean;
  /** The latest checkpoint request (set or reset); kept after it was applied, as the record of it. */
  checkpoint?: CheckpointRequest;
}

/**
 * A checkpoint to write on the link's destination. Positions travel as decimal strings (JSON has no
 * bigint). `applied` is set by the owner that wrote it; a request without it is still due.
 */
export interface CheckpointRequest {
  id: string;
  commit: string;
  prepare: string;
  requestedAt: string;
  applied?: { by: string; at: string; was: string };
}

export function intentOf(value: unknown): LinkIntent {
  const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const intent: LinkIntent = { paused: v.paused === true };
  const checkpoint = checkpointRequestOf(v.checkpoint);
  if (checkpoint) intent.checkpoint = checkpoint;
  return intent;
}

/** A checkpoint request still to be applied, or null. */
export function pendingCheckpoint(intent: LinkIntent): CheckpointRequest | null {
  return intent.checkpoint && !intent.checkpoint.applied ? intent.checkpoint : null;
}

function checkpointRequestOf(value: unknown): CheckpointRequest | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  const decimal = (x: unknown): x is string => typeof x === 'string' && /^\d+$/.test(x);
  if (typeof v.id !== 'string' || !decimal(v.commit) || !decimal(v.prepare)) return null;
  const request: CheckpointRequest = {
    id: v.id,
    commit: v.commit,
    prepare: v.prepare,
    requestedAt: typeof v.requestedAt === 'string' ? v.requestedAt : '',
  };
  const a = v.applied as Record<string, unknown> | undefined;
  if (typeof a === 'object' && a !== null && typeof a.by === 'string') {
    request.applied = {
      by: a.by,
      at: typeof a.at === 'string' ? a.at : '',
      was: typeof a.was === 'string' ? a.was : '',
    };
  }
  return request;
}
