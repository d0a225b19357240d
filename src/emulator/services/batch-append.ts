import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import type { ExpectedRevision, ProposedEvent, WriteResult } from '../store/types.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import {
  emptyAny,
  maxAppendSizeAny,
  streamDeletedAny,
  wrongExpectedVersionAny,
  type AnyMessage,
} from '../wire/status-details.js';
import { expectedAsNumber } from '../store/types.js';
import type { WireUuid } from '../wire/uuid.js';
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

interface BatchAppendReq {
  correlation_id?: WireUuid | null;
  options?:
    | ({
        stream_identifier?: WireStreamIdentifier;
        deadline?: { seconds?: string; nanos?: number } | null;
      } & Record<string, unknown>)
    | null;
  proposed_messages?: WireProposedMessage[];
  is_final?: boolean;
}

interface PendingBatch {
  correlationId: WireUuid;
  streamName: string;
  expected: ExpectedRevision;
  deadlineMs: number | undefined;
  events: ProposedEvent[];
  size: number;
  /** Set once the batch is known to fail (e.g. too large); later chunks are ignored. */
  failure?: { code: status; message: string; details: AnyMessage };
}

/** Upper bound on half-sent batches per call, so a misbehaving client can't grow memory without limit. */
const MAX_PENDING_BATCHES = 10_000;

/**
 * `Streams.BatchAppend`: one long-lived bidi stream per client channel, requests multiplexed by correlation
 * id, chunks finished by `is_final`, one response per batch (errors as `google.rpc.Status` + one Any).
 */
export function batchAppendHandler(ctx: ServiceContext) {
  return (call: ServerDuplexStream<BatchAppendReq, unknown>): void => {
    const pending = new Map<string, PendingBatch>();
    let ended = false;
    const endCall = (error: RpcError | null): void => {
      if (ended) return;
      ended = true;
      untrack();
      pending.clear();
      if (error) call.emit('error', error);
      else call.end();
    };
    const untrack = ctx.calls.add({ end: (error) => endCall(error) });

    if (ctx.faults.isUnavailable()) {
      endCall(rpcErrors.unavailable());
      return;
    }

    let inflight = 0;
    let clientDone = false;
    const respond = (message: unknown): void => {
      inflight -= 1;
      if (!ended && !call.writableEnded && !call.destroyed) call.write(message);
      if (clientDone && inflight === 0) endCall(null);
    };
    const started = (): void => {
      inflight += 1;
    };

    call.on('data', (req: BatchAppendReq) => {
      if (ended) return;
      // The long-lived stream outlives `unavailableFor` windows: a request arriving in one ends the call.
      if (ctx.faults.isUnavailable()) {
        endCall(rpcErrors.unavailable());
        return;
      }
      try {
        const error = accept(ctx, pending, req, { started, respond, endCall });
        if (error) endCall(error);
      } catch (err) {
        ctx.logger.error({ err }, 'emulator: BatchAppend request failed');
        endCall(rpcErrors.internal());
      }
    });
    call.on('end', () => {
      clientDone = true;
      if (inflight === 0) endCall(null);
    });
    call.on('cancelled', () => {
      ended = true;
      untrack();
      pending.clear();
    });
    call.on('error', () => {
      ended = true;
      untrack();
    });
  };
}

/**
 * Takes one request; returns an error that must end the whole call. DEVIATION (documented): request errors the
 * real server raises as exceptions (missing metadata, malformed UUID) end the BatchAppend call here too.
 */
function accept(
  ctx: ServiceContext,
  pending: Map<string, PendingBatch>,
  req: BatchAppendReq,
  io: { started: () => void; respond: (message: unknown) => void; endCall: (error: RpcError) => void },
): RpcError | undefined {
  const { started, respond, endCall } = io;
  const correlationId = req.correlation_id;
  const key = correlationKey(correlationId);
  if (correlationId == null || key === undefined)
    return rpcErrors.invalidArgument('BatchAppendReq.correlation_id is required.');
  let batch = pending.get(key);
  if (batch === undefined) {
    if (!req.options) return rpcErrors.invalidArgument('The first BatchAppendReq of a batch must carry options.');
    const name = parseStreamName(req.options.stream_identifier);
    if (isRpcError(name)) return name;
    const expected = parseExpected(req.options, 'expected_stream_position', 'stream_position');
    if (isRpcError(expected)) return expected;
    if (pending.size >= MAX_PENDING_BATCHES)
      return rpcErrors.invalidArgument('Too many unfinished batches on one call.');
    batch = {
      correlationId,
      streamName: name,
      expected,
      deadlineMs: deadlineOf(req.options.deadline),
      events: [],
      size: 0,
    };
    pending.set(key, batch);
  }
  for (const msg of req.proposed_messages ?? []) {
    if (batch.failure) break;
    const event = parseProposed(msg);
    if (isRpcError(event)) return event;
    batch.size += proposedSize(event);
    if (batch.size > ctx.maxAppendSize) {
      batch.failure = {
        code: status.INVALID_ARGUMENT,
        message: `Maximum Append Size of ${ctx.maxAppendSize} Exceeded.`,
        details: maxAppendSizeAny(ctx.maxAppendSize),
      };
      batch.events = [];
      break;
    }
    batch.events.push(event);
  }
  if (!req.is_final) return undefined;
  pending.delete(key);
  const finished = batch;
  started();
  void runBatch(ctx, finished).then(
    (outcome) => (outcome.kind === 'respond' ? respond(outcome.message) : endCall(outcome.error)),
    (err: unknown) => {
      ctx.logger.error({ err }, 'emulator: BatchAppend failed');
      respond(errorResponse(finished, status.INTERNAL, 'Internal emulator error', emptyAny('Unknown')));
    },
  );
  return undefined;
}

type BatchOutcome = { kind: 'respond'; message: unknown } | { kind: 'end-call'; error: RpcError };

async function runBatch(ctx: ServiceContext, batch: PendingBatch): Promise<BatchOutcome> {
  const respond = (message: unknown): BatchOutcome => ({ kind: 'respond', message });
  if (batch.failure) {
    return respond(errorResponse(batch, batch.failure.code, batch.failure.message, batch.failure.details));
  }
  const injected = ctx.faults.takeAppendFailure();
  if (injected !== undefined) {
    // A timeout is a per-batch Status on the real server; the transport-level failures end the whole call
    // (failing every in-flight append of that client), as the real server's RpcExceptions do.
    if (injected === 'deadline') {
      return respond(errorResponse(batch, status.DEADLINE_EXCEEDED, 'Operation timed out', emptyAny('Timeout')));
    }
    if (injected === 'internal') {
      return respond(errorResponse(batch, status.UNKNOWN, 'Injected internal error', emptyAny('Unknown')));
    }
    return { kind: 'end-call', error: injectedAppendError(injected, ctx.host, ctx.port()) };
  }
  if (ctx.faults.delaysAppends()) await ctx.faults.delayAppend();
  if (batch.deadlineMs !== undefined && ctx.now() > batch.deadlineMs) {
    return respond(errorResponse(batch, status.DEADLINE_EXCEEDED, 'Operation timed out', emptyAny('Timeout')));
  }
  return respond(resultResponse(batch, ctx.store.append(batch.streamName, batch.expected, batch.events)));
}

function resultResponse(batch: PendingBatch, result: WriteResult): unknown {
  switch (result.kind) {
    case 'success':
      return {
        ...envelope(batch),
        success: {
          ...(result.currentRevision < 0n
            ? { no_stream: {} }
            : { current_revision: result.currentRevision.toString() }),
          ...(result.position === undefined
            ? { no_position: {} }
            : { position: { commit_position: String(result.position), prepare_position: String(result.position) } }),
        },
      };
    case 'wrong_expected_version':
      return errorResponse(
        batch,
        status.FAILED_PRECONDITION,
        'Wrong expected version.',
        wrongExpectedVersionAny(result.currentRevision, expectedAsNumber(batch.expected)),
      );
    case 'stream_deleted':
      return errorResponse(
        batch,
        status.FAILED_PRECONDITION,
        `Event stream '${batch.streamName}' is deleted.`,
        streamDeletedAny(batch.streamName),
      );
  }
}

function errorResponse(batch: PendingBatch, code: status, message: string, details: AnyMessage): unknown {
  return { ...envelope(batch), error: { code, message, details } };
}

/** Fields every response carries: the correlation id, and the echoed stream and expectation (the client needs them). */
function envelope(batch: PendingBatch): Record<string, unknown> {
  const expected = batch.expected;
  return {
    correlation_id: batch.correlationId,
    stream_identifier: { stream_name: Buffer.from(batch.streamName, 'utf8') },
    ...(expected.kind === 'revision'
      ? { stream_position: expected.revision.toString() }
      : expected.kind === 'no_stream'
        ? { no_stream: {} }
        : expected.kind === 'stream_exists'
          ? { stream_exists: {} }
          : { any: {} }),
  };
}

function correlationKey(id: WireUuid | null | undefined): string | undefined {
  if (!id) return undefined;
  if (typeof id.string === 'string' && id.string.length > 0) return `s:${id.string}`;
  if (id.structured) return `u:${id.structured.most_significant_bits}:${id.structured.least_significant_bits}`;
  return undefined;
}

function deadlineOf(ts: { seconds?: string; nanos?: number } | null | undefined): number | undefined {
  if (!ts) return undefined;
  const seconds = Number(ts.seconds ?? '0');
  if (!Number.isFinite(seconds) || seconds <= 0) return undefined;
  return seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}
