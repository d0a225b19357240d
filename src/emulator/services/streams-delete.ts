import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { expectedAsNumber, type WriteResult } from '../store/types.js';
import { rpcErrors } from '../wire/rpc-errors.js';
import { isRpcError, parseExpected, parseStreamName, type WireStreamIdentifier } from './request-parsing.js';
import type { ServiceContext } from './service-context.js';

interface DeleteReq {
  options?: ({ stream_identifier?: WireStreamIdentifier } & Record<string, unknown>) | null;
}

/** `Streams.Delete` (soft) and `Streams.Tombstone` (hard); wrong expected versions come back as trailers. */
export function deleteHandler(ctx: ServiceContext, hard: boolean) {
  return (call: ServerUnaryCall<DeleteReq, unknown>, callback: sendUnaryData<unknown>): void => {
    try {
      if (ctx.faults.isUnavailable()) return callback(rpcErrors.unavailable());
      const refused = ctx.node.checkWrite(call.metadata);
      if (refused !== undefined) return callback(refused);
      const options = call.request.options;
      if (!options) return callback(rpcErrors.invalidArgument('Delete options are required.'));
      const name = parseStreamName(options.stream_identifier);
      if (isRpcError(name)) return callback(name);
      const denied = ctx.security.check(call, name, 'delete');
      if (denied) return callback(denied);
      const expected = parseExpected(options, 'expected_stream_revision', 'revision');
      if (isRpcError(expected)) return callback(expected);
      const result: WriteResult = hard ? ctx.store.tombstone(name, expected) : ctx.store.softDelete(name, expected);
      switch (result.kind) {
        case 'stream_deleted':
          return callback(rpcErrors.streamDeleted(name));
        case 'wrong_expected_version':
          return callback(rpcErrors.wrongExpectedVersion(name, expectedAsNumber(expected), result.currentRevision));
        case 'success':
          return callback(
            null,
            result.position === undefined
              ? { no_position: {} }
              : { position: { commit_position: String(result.position), prepare_position: String(result.position) } },
          );
      }
    } catch (err) {
      ctx.logger.error({ err }, 'emulator: Delete failed');
      callback(rpcErrors.internal());
    }
  };
}
