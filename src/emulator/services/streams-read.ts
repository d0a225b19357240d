import { randomUUID } from 'node:crypto';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { runAllSubscription } from '../subscriptions/all-subscription.js';
import { runStreamSubscription } from '../subscriptions/stream-subscription.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import { parseReadOptions, type ReadPlan, type WireReadOptions } from './read-options.js';
import { isRpcError } from './request-parsing.js';
import { CallAbortedError, ResponseWriter } from './response-writer.js';
import type { ServiceContext } from './service-context.js';
import { readAll, readStream } from './stream-reads.js';

interface ReadReq {
  options?: WireReadOptions | null;
}

/** `Streams.Read`: stream and `$all` reads, and subscriptions (count option `subscription`). */
export function readHandler(ctx: ServiceContext) {
  return (call: ServerWritableStream<ReadReq, unknown>): void => {
    const abort = new AbortController();
    let finished = false;
    const finish = (error?: RpcError): void => {
      if (finished) return;
      finished = true;
      abort.abort();
      untrack();
      if (call.writableEnded || call.destroyed) return;
      if (error) call.emit('error', error);
      else call.end();
    };
    const untrack = ctx.calls.add({ end: (error) => finish(error) });
    call.on('cancelled', () => {
      finished = true;
      abort.abort();
      untrack();
    });

    if (ctx.faults.isUnavailable()) {
      finish(rpcErrors.unavailable());
      return;
    }
    let plan: ReturnType<typeof parseReadOptions>;
    try {
      plan = parseReadOptions(call.request.options);
    } catch (err) {
      ctx.logger.error({ err }, 'emulator: Read options failed');
      plan = rpcErrors.internal();
    }
    if (isRpcError(plan)) {
      finish(plan);
      return;
    }
    const streamId = plan.target.kind === 'all' ? '$all' : plan.target.streamId;
    const denied = ctx.security.check(call, streamId, 'read');
    if (denied) return finish(denied);
    if (plan.count === undefined) {
      ctx.security.watch(call, streamId, 'read', abort.signal, () => finish(rpcErrors.accessDenied()));
    }
    const out = new ResponseWriter(call, abort.signal);
    const refused = ctx.node.checkRead(call.metadata);
    // A subscription starting at the end goes live without a catch-up read, so the real server never refuses it.
    const liveOnly = plan.count === undefined && plan.target.from === 'end';
    const work = refused === undefined || liveOnly ? run(ctx, plan, out, abort.signal) : refuse(plan, out, refused);
    work.then(
      () => finish(),
      (err: unknown) => {
        if (err instanceof CallAbortedError) return finish();
        if (isRpcError(err)) return finish(err);
        ctx.logger.error({ err }, 'emulator: Read failed');
        finish(rpcErrors.internal());
      },
    );
  };
}

/** A refused read ends with the error; a refused subscription is confirmed first, as the real server confirms before its catch-up read. */
async function refuse(plan: ReadPlan, out: ResponseWriter, error: RpcError): Promise<void> {
  if (plan.count === undefined) await out.write({ confirmation: { subscription_id: randomUUID() } });
  throw error;
}

async function run(ctx: ServiceContext, plan: ReadPlan, out: ResponseWriter, signal: AbortSignal): Promise<void> {
  const now = (): number => ctx.now();
  const target = plan.target;
  if (plan.count === undefined) {
    await out.write({ confirmation: { subscription_id: randomUUID() } });
    if (target.kind === 'all') {
      await runAllSubscription(ctx.store, { ...plan, from: target.from, filter: plan.filter, now }, out, signal);
    } else {
      await runStreamSubscription(
        ctx.store,
        { ...plan, streamId: target.streamId, from: target.from, now },
        out,
        signal,
      );
    }
    return;
  }
  if (target.kind === 'all') await readAll(ctx.store, { ...plan, target }, out, now());
  else await readStream(ctx.store, { ...plan, target }, out, now());
}
