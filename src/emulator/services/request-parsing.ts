import type { ExpectedRevision, ProposedEvent } from '../store/types.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import { uuidFromWire, type WireUuid } from '../wire/uuid.js';

/** Decoded shapes as proto-loader hands them over (keepCase, longs as strings, bytes as Buffers, oneofs). */
export interface WireStreamIdentifier {
  stream_name?: Buffer | null;
}

export interface WireProposedMessage {
  id?: WireUuid | null;
  metadata?: Record<string, string> | null;
  custom_metadata?: Buffer | null;
  data?: Buffer | null;
}

export function isRpcError(value: unknown): value is RpcError {
  return typeof value === 'object' && value !== null && 'code' in value && 'details' in value;
}

export function parseStreamName(ident: WireStreamIdentifier | null | undefined): string | RpcError {
  const name = ident?.stream_name;
  if (!name || name.length === 0) return rpcErrors.invalidArgument('Stream name must not be empty.');
  return name.toString('utf8');
}

function parseRevision(text: unknown): bigint | RpcError {
  if (typeof text !== 'string' || !/^\d+$/.test(text))
    return rpcErrors.invalidArgument(`Invalid revision '${String(text)}'.`);
  return BigInt(text);
}

/** Expected revision from a oneof with members `revisionField` | no_stream | any | stream_exists. */
export function parseExpected(
  options: Record<string, unknown>,
  oneofName: string,
  revisionField: string,
): ExpectedRevision | RpcError {
  const which = options[oneofName];
  switch (which) {
    case revisionField: {
      const rev = parseRevision(options[revisionField]);
      return isRpcError(rev) ? rev : { kind: 'revision', revision: rev };
    }
    case 'no_stream':
      return { kind: 'no_stream' };
    case 'stream_exists':
      return { kind: 'stream_exists' };
    case 'any':
      return { kind: 'any' };
    default:
      // The real server rejects a request without an expectation (the oneof's None case).
      return rpcErrors.invalidArgument(`'None' is not a valid expected revision option.`);
  }
}

/**
 * Size counted against MaxAppendSize: the real server's `Event.SizeOnDisk` (data + metadata + 2 × the type's
 * UTF-16 length). DEVIATION (documented): MaxAppendEventSize is not enforced separately.
 */
export function proposedSize(e: ProposedEvent): number {
  return e.data.length + e.metadata.length + e.eventType.length * 2;
}

export function parseProposed(msg: WireProposedMessage): ProposedEvent | RpcError {
  const meta = msg.metadata ?? {};
  const eventType = meta.type;
  const contentType = meta['content-type'];
  if (eventType === undefined) return rpcErrors.missingMetadata('type');
  if (contentType === undefined) return rpcErrors.missingMetadata('content-type');
  const eventId = uuidFromWire(msg.id);
  // Like the real server, whose Guid.Parse throws on a malformed UUID and ASP.NET reports UNKNOWN.
  if (eventId === undefined) return rpcErrors.handlerThrew();
  return {
    eventId,
    eventType,
    contentType,
    data: msg.data ?? Buffer.alloc(0),
    metadata: msg.custom_metadata ?? Buffer.alloc(0),
  };
}
