import type { sendUnaryData, ServerReadableStream } from '@grpc/grpc-js';
import type { ExpectedRevision, ProposedEvent, WriteResult } from '../store/types.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import { injectedAppendError } from './injected-errors.js';
import {
  isRpcError,
  parseExpected,
  parseProposed,
  parseStreamName,
  proposedSize,
  type WireProposedMessage,
  type WireStreamIdentifier,
} from './request-parsing.js';
import type { ServiceContext } from './service-context.js';

interface AppendReq {
  content?: 'options' | 'proposed_message';
  options?: ({ stream_identifier?: WireStreamIdentifier } & Record<string, unknown>) | null;
  proposed_message?: WireProposedMessage | null;
}

/** `Streams.Append` (client-streaming): options first, then one proposed message per event. */
export function appendHandler(ctx: ServiceContext) {
  return (call: ServerReadableStream<AppendReq, unknown>, callback: sendUnaryData<unknown>): void => {
    let streamName: string | undefined;
    let expected: ExpectedRevision | undefined;
    const events: ProposedEvent[] = [];
    let size = 0;
    let done = false;
    const untrack = ctx.calls.add({ end: (error) => finish(error) });

    const finish = (error: RpcError | null, response?: unknown): void => {
      if (done) return;
      done = true;
      untrack();
      if (error) callback(error);
      else callback(null, response);
    };

    if (ctx.faults.isUnavailable()) {
      finish(rpcErrors.unavailable());
      return;
    }
    const refused = ctx.node.checkWrite(call.metadata);
    if (refused !== undefined) {
      finish(refused);
      return;
    }

    call.on('data', (req: AppendReq) => {
      if (done) return;
      try {
        if (streamName === undefined) {
          if (req.content !== 'options' || !req.options) {
            finish(rpcErrors.invalidArgument('The first AppendReq must carry options.'));
            return;
          }
          const name = parseStreamName(req.options.stream_identifier);
          if (isRpcError(name)) return finish(name);
          const denied = ctx.security.check(call, name, 'write');
          if (denied) return finish(denied);
          const exp = parseExpected(req.options, 'expected_stream_revision', 'revision');
          if (isRpcError(exp)) return finish(exp);
          streamName = name;
          expected = exp;
          return;
        }
        if (req.content !== 'proposed_message' || !req.proposed_message) {
          finish(rpcErrors.invalidArgument('Expected a proposed message after the options.'));
          return;
        }
        const event = parseProposed(req.proposed_message);
        if (isRpcError(event)) return finish(event);
        size += proposedSize(event);
        if (size > ctx.maxAppendSize) return finish(rpcErrors.maxAppendSize(ctx.maxAppendSize));
        events.push(event);
      } catch (err) {
        ctx.logger.error({ err }, 'emulator: Append request failed');
        finish(rpcErrors.internal());
      }
    });
    call.on('cancelled', () => finish(rpcErrors.cancelled()));
    call.on('error', () => finish(rpcErrors.cancelled()));
    call.on('end', () => {
      if (done) return;
      if (streamName === undefined || expected === undefined) {
        finish(rpcErrors.invalidArgument('AppendReq options are missing.'));
        return;
      }
      void runAppend(ctx, streamName, expected, events).then(
        (outcome) => (isRpcError(outcome) ? finish(outcome) : finish(null, outcome)),
        (err: unknown) => {
          ctx.logger.error({ err }, 'emulator: Append failed');
          finish(rpcErrors.internal());
        },
      );
    });
  };
}

async function runAppend(
  ctx: ServiceContext,
  streamName: string,
  expected: ExpectedRevision,
  events: ProposedEvent[],
): Promise<unknown> {
  const injected = ctx.faults.takeAppendFailure();
  if (injected !== undefined) return injectedAppendError(injected, ctx.host, ctx.port());
  if (ctx.faults.delaysAppends()) await ctx.faults.delayAppend();
  const result = ctx.store.append(streamName, expected, events);
  return appendResponse(streamName, expected, result);
}

function appendResponse(streamName: string, expected: ExpectedRevision, result: WriteResult): unknown {
  switch (result.kind) {
    case 'stream_deleted':
      return rpcErrors.streamDeleted(streamName);
    case 'success':
      return {
        success: {
          ...(result.currentRevision < 0n
            ? { no_stream: {} }
            : { current_revision: result.currentRevision.toString() }),
          ...(result.position === undefined
            ? { no_position: {} }
            : { position: { commit_position: String(result.position), prepare_position: String(result.position) } }),
        },
      };
    case 'wrong_expected_version': {
      const current = result.currentRevision;
      const wev: Record<string, unknown> =
        current < 0n
          ? { no_stream_20_6_0: {}, current_no_stream: {} }
          : { current_revision_20_6_0: current.toString(), current_revision: current.toString() };
      switch (expected.kind) {
        case 'any':
          Object.assign(wev, { any_20_6_0: {}, expected_any: {} });
          break;
        case 'stream_exists':
          Object.assign(wev, { stream_exists_20_6_0: {}, expected_stream_exists: {} });
          break;
        case 'no_stream':
          // The real server fills the 20.6.0 field with ulong.MaxValue for "no stream".
          Object.assign(wev, { expected_no_stream: {}, expected_revision_20_6_0: '18446744073709551615' });
          break;
        case 'revision':
          Object.assign(wev, {
            expected_revision_20_6_0: expected.revision.toString(),
            expected_revision: expected.revision.toString(),
          });
          break;
      }
      return { wrong_expected_version: wev };
    }
  }
}
