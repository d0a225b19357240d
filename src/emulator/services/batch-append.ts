import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { expectedAsNumber, type ExpectedRevision, type ProposedEvent, type WriteResult } from '../store/types.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import {
  badRequestAny,
  emptyAny,
  maxAppendSizeAny,
  streamDeletedAny,
  wrongExpectedVersionAny,
  type AnyMessage,
} from '../wire/status-details.js';
import type { WireUuid } from '../wire/uuid.js';
import { encodeBatchAppendSuccess } from '../wire/batch-append-resp.js';
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
        stream_identifier?: WireStreamIdentifier | null;
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
}

/** A `google.rpc.Status` as the real server's `Status` helpers build them (code, name as message, one Any). */
interface RpcStatus {
  code: status;
  message: string;
  details: AnyMessage;
}

const STATUS = {
  wrongExpectedVersion: (current: bigint, expected: ExpectedRevision): RpcStatus => ({
    code: status.ALREADY_EXISTS,
    message: 'WrongExpectedVersion',
    details: wrongExpectedVersionAny(current, expectedAsNumber(expected)),
  }),
  streamDeleted: (stream: string): RpcStatus => ({
    code: status.NOT_FOUND,
    message: 'StreamDeleted',
    details: streamDeletedAny(stream),
  }),
  timeout: (): RpcStatus => ({ code: status.DEADLINE_EXCEEDED, message: 'Timeout', details: emptyAny('Timeout') }),
  unknown: (): RpcStatus => ({ code: status.UNKNOWN, message: 'Unknown', details: emptyAny('Unknown') }),
  maxAppendSize: (max: number): RpcStatus => ({
    code: status.INVALID_ARGUMENT,
    message: 'MaximumAppendSizeExceeded',
    details: maxAppendSizeAny(max),
  }),
  accessDenied: (): RpcStatus => ({
    code: status.PERMISSION_DENIED,
    message: 'AccessDenied',
    details: emptyAny('AccessDenied'),
  }),
  badRequest: (message: string): RpcStatus => ({
    code: status.INVALID_ARGUMENT,
    message: 'BadRequest',
    details: badRequestAny(message),
  }),
};

/** setTimeout's largest delay (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Upper bound on half-sent batches per call, so a misbehaving client can't grow memory without limit. */
const MAX_PENDING_BATCHES = 10_000;

interface CallIo {
  /** Sends one response (counts down the in-flight batches). */
  respond(message: unknown): void;
  /** Counts a batch as in flight until its response is sent. */
  started(): void;
  /** Ends the whole call with an error (fails every in-flight append of that client). */
  endCall(error: RpcError): void;
  /** Whether the call's user may append to `streamName`. */
  mayWrite(streamName: string): boolean;
}

/**
 * `Streams.BatchAppend`: one long-lived bidi stream per client channel, requests multiplexed by correlation
 * id, chunks finished by `is_final`, one response per batch. Like the real server's BatchAppendWorker, a bad
 * request answers that batch with a `BadRequest` Status and the call goes on; only transport-level failures
 * (not leader, unavailable, cancelled) end the call.
 */
export function batchAppendHandler(ctx: ServiceContext) {
  return (call: ServerDuplexStream<BatchAppendReq, unknown>): void => {
    const pending = new Map<string, PendingBatch>();
    let ended = false;
    let inflight = 0;
    let clientDone = false;
    const endCall = (error: RpcError | null): void => {
      if (ended) return;
      ended = true;
      untrack();
      pending.clear();
      if (call.writableEnded || call.destroyed) return;
      if (error) call.emit('error', error);
      else call.end();
    };
    const untrack = ctx.calls.add({ end: (error) => endCall(error) });

    if (ctx.faults.isUnavailable()) {
      endCall(rpcErrors.unavailable());
      return;
    }

    const io: CallIo = {
      respond(message) {
        inflight -= 1;
        try {
          if (!ended && !call.writableEnded && !call.destroyed) call.write(message);
        } catch (err) {
          ctx.logger.error({ err }, 'emulator: BatchAppend response could not be sent');
          endCall(rpcErrors.internal());
          return;
        }
        if (clientDone && inflight === 0) endCall(null);
      },
      started() {
        inflight += 1;
      },
      endCall: (error) => endCall(error),
      mayWrite: (streamName) => ctx.security.check(call, streamName, 'write') === undefined,
    };

    call.on('data', (req: BatchAppendReq) => {
      if (ended) return;
      // The long-lived stream outlives `unavailableFor` windows: a request arriving in one ends the call.
      if (ctx.faults.isUnavailable()) {
        endCall(rpcErrors.unavailable());
        return;
      }
      // Like the real server's ConvertMessage: a refused write (not leader, not ready) ends the whole call.
      const refused = ctx.node.checkWrite(call.metadata);
      if (refused !== undefined) {
        endCall(refused);
        return;
      }
      try {
        accept(ctx, pending, req, io);
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

function accept(ctx: ServiceContext, pending: Map<string, PendingBatch>, req: BatchAppendReq, io: CallIo): void {
  const correlationId = req.correlation_id ?? {};
  const key = correlationKey(req.correlation_id);
  const answer = (streamName: string | undefined, expected: ExpectedRevision | undefined, s: RpcStatus): void => {
    io.started();
    io.respond(errorResponse({ correlationId, streamName, expected }, s));
  };
  if (key === undefined) {
    answer(undefined, undefined, STATUS.badRequest('Invalid correlation id.'));
    return;
  }
  let batch = pending.get(key);
  if (batch === undefined) {
    // The real server silently ignores chunks of a batch it does not know (e.g. after rejecting it).
    if (!req.options) return;
    const name = parseStreamName(req.options.stream_identifier);
    if (isRpcError(name)) {
      answer(undefined, undefined, STATUS.badRequest('Required field StreamIdentifier not set.'));
      return;
    }
    const expected = parseExpected(req.options, 'expected_stream_position', 'stream_position');
    if (isRpcError(expected)) {
      answer(name, undefined, STATUS.badRequest(expected.details));
      return;
    }
    // Per request, like the real server: the denied batch gets a Status and the stream stays open.
    if (!io.mayWrite(name)) {
      answer(name, expected, STATUS.accessDenied());
      return;
    }
    const deadlineMs = deadlineOf(req.options.deadline);
    if (deadlineMs !== undefined && deadlineMs <= ctx.now()) {
      answer(name, expected, STATUS.timeout());
      return;
    }
    if (pending.size >= MAX_PENDING_BATCHES) {
      answer(name, expected, STATUS.badRequest('Too many unfinished batches on one call.'));
      return;
    }
    batch = { correlationId, streamName: name, expected, deadlineMs, events: [], size: 0 };
    pending.set(key, batch);
  }
  for (const msg of req.proposed_messages ?? []) {
    const event = parseProposed(msg);
    if (isRpcError(event)) {
      // DEVIATION (documented): the rejected batch is forgotten, so its later chunks are ignored.
      pending.delete(key);
      answer(batch.streamName, batch.expected, STATUS.badRequest(event.details));
      return;
    }
    batch.size += proposedSize(event);
    if (batch.size > ctx.maxAppendSize) {
      pending.delete(key);
      answer(batch.streamName, batch.expected, STATUS.maxAppendSize(ctx.maxAppendSize));
      return;
    }
    batch.events.push(event);
  }
  if (!req.is_final) return;
  pending.delete(key);
  const finished = batch;
  io.started();
  runBatch(ctx, finished, io).catch((err: unknown) => {
    ctx.logger.error({ err }, 'emulator: BatchAppend failed');
    io.respond(errorResponse(finished, STATUS.unknown()));
  });
}

/**
 * Runs one complete batch and answers it exactly once. When the batch's deadline passes while a fault holds
 * it, the client gets a Timeout at the deadline and the write still happens once released: the ambiguous
 * outcome a real server produces when a write outlives its deadline.
 */
async function runBatch(ctx: ServiceContext, batch: PendingBatch, io: CallIo): Promise<void> {
  const injected = ctx.faults.takeAppendFailure();
  if (injected !== undefined) {
    if (injected === 'deadline') return io.respond(errorResponse(batch, STATUS.timeout()));
    if (injected === 'internal') return io.respond(errorResponse(batch, STATUS.unknown()));
    // Not-leader, unavailable and cancelled are RpcExceptions on the real server: they end the whole call.
    return io.endCall(injectedAppendError(injected, ctx.host, ctx.port()));
  }
  if (ctx.faults.delaysAppends()) {
    const delay = ctx.faults.delayAppend();
    const remaining = batch.deadlineMs === undefined ? undefined : batch.deadlineMs - ctx.now();
    // Beyond setTimeout's range (deadlines up to a year) the deadline cannot matter to a test run.
    if (remaining !== undefined && remaining <= MAX_TIMER_MS) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        delay.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), Math.max(0, remaining));
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        io.respond(errorResponse(batch, STATUS.timeout()));
        await delay;
        ctx.store.append(batch.streamName, batch.expected, batch.events);
        return;
      }
    } else {
      await delay;
    }
  }
  io.respond(resultResponse(batch, ctx.store.append(batch.streamName, batch.expected, batch.events)));
}

function resultResponse(batch: PendingBatch, result: WriteResult): unknown {
  switch (result.kind) {
    case 'success':
      // Pre-encoded: the service's serializer passes Buffers through (protos.ts).
      return encodeBatchAppendSuccess({
        correlationId: batch.correlationId,
        streamName: batch.streamName,
        expected: batch.expected,
        currentRevision: result.currentRevision,
        position: result.position,
      });
    case 'wrong_expected_version':
      return errorResponse(batch, STATUS.wrongExpectedVersion(result.currentRevision, batch.expected));
    case 'stream_deleted':
      return errorResponse(batch, STATUS.streamDeleted(batch.streamName));
  }
}

interface Envelope {
  correlationId: WireUuid;
  streamName?: string | undefined;
  expected?: ExpectedRevision | undefined;
}

function errorResponse(batch: Envelope, s: RpcStatus): unknown {
  return { ...envelope(batch), error: s };
}

/**
 * Fields every response carries: the correlation id, the stream (the client reads it even on errors) and the
 * echoed expectation.
 */
function envelope(batch: Envelope): Record<string, unknown> {
  const expected = batch.expected;
  return {
    correlation_id: batch.correlationId,
    stream_identifier: { stream_name: Buffer.from(batch.streamName ?? '', 'utf8') },
    ...(expected === undefined
      ? {}
      : expected.kind === 'revision'
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
