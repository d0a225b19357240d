import { convertToCommandError, type EventStoreDBClient, type Position } from '@eventstore/db-client';
import type * as GrpcJs from '@grpc/grpc-js';
import {
  decodeReadResp,
  encodeSubscribeToAllReq,
  type ReadRespEvent,
  type SubscribeToAllRequest,
} from './wire/read-codec.js';
import { streamsRpcOf, type CallSettings, type StreamsRpc } from './wire/streams-rpc.js';

/** Called in stream order, synchronously from the gRPC stream's `data` events. */
export interface RawAllSubscriptionHandlers {
  onEvent(event: ReadRespEvent): void;
  /** Every event before this checkpoint was given to `onEvent` already. */
  onCheckpoint(position: Position): void;
  onCaughtUp(): void;
  onFellBehind?(): void;
  onConfirmation?(subscriptionId: string): void;
  /**
   * The subscription failed and delivers nothing more: a gRPC failure converted by the client's
   * `convertToCommandError` (so `.type` is its `ErrorType`), a connection failure as the client raised it,
   * an `ESDBL_CLIENT_BAD_RESPONSE` for undecodable bytes, or what a handler threw.
   */
  onError(error: Error): void;
  /** The server ended the subscription normally; nothing follows. */
  onEnd(): void;
}

export interface RawSubscribeToAllOptions extends SubscribeToAllRequest {
  /** Per-call credentials; absent: the client's default credentials. */
  credentials?: { username: string; password: string };
  requiresLeader?: boolean;
}

type ReadStream = GrpcJs.ClientReadableStream<Buffer>;

/**
 * `subscribeToAll` of @eventstore/db-client 6.2.1 with hand-decoded responses (see `read-codec.ts`).
 *
 * The call is made the way the client makes it: through its `GRPCStreamCreator` (so a failed call reports
 * not-leader / unavailable to the client's reconnection logic, and `client.dispose()` cancels it), with
 * its call arguments (connection name, credentials, no deadline). Errors reach `onError` converted as the
 * client's `Subscription` converts them; a cancellation we asked for is silent, as in the client.
 *
 * There is no intermediate stream: each response is decoded and handed over as it leaves the gRPC
 * stream, so `pause()` stops delivery at once and, once grpc-js's small buffer is full, it stops reading
 * from HTTP/2, which holds the server back (real back-pressure, nothing queues here).
 */
export class RawAllSubscription {
  /** The server's id for this subscription, once confirmed. */
  subscriptionId: string | undefined;
  readonly #handlers: RawAllSubscriptionHandlers;
  readonly #call: Promise<ReadStream>;
  #stream: ReadStream | undefined;
  #paused = false;
  #closed = false;
  #rpc: StreamsRpc;
  #grpcClient: GrpcJs.Client | undefined;

  constructor(client: EventStoreDBClient, options: RawSubscribeToAllOptions, handlers: RawAllSubscriptionHandlers) {
    this.#handlers = handlers;
    const request = encodeSubscribeToAllReq(options);
    const rpc = streamsRpcOf(client);
    this.#rpc = rpc;
    const settings: CallSettings = {};
    if (options.credentials) settings.credentials = options.credentials;
    if (options.requiresLeader) settings.requiresLeader = true;
    // A cache of its own: one call per subscription (the client passes no cache for subscriptions).
    this.#call = rpc.stream(
      'subscribeToAll',
      (grpcClient) => {
        this.#grpcClient = grpcClient;
        return grpcClient.read(request, ...rpc.callArguments(settings, { deadline: Infinity }));
      },
      new WeakMap(),
    );
    this.#call.then(
      (stream) => this.#attach(stream, rpc),
      // As the client: a failure to open the call (no channel, discovery) is reported unconverted.
      (err: unknown) => this.#fail(err instanceof Error ? err : new Error(String(err))),
    );
  }

  get isPaused(): boolean {
    return this.#paused;
  }

  /** Responses received from the server but not yet delivered (grpc-js's buffer). */
  get buffered(): number {
    return this.#stream?.readableLength ?? 0;
  }

  /** Stops delivery now; the server is held back once grpc-js's buffer is full. */
  pause(): void {
    this.#paused = true;
    this.#stream?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#stream?.resume();
  }

  /**
   * Makes the client drop the connection this subscription runs on (it went silent while the server holds
   * events for it); the next call, such as the resubscription, opens a new one.
   */
  abandonConnection(reason: string): void {
    if (this.#grpcClient) this.#rpc.replaceChannel(this.#grpcClient, reason);
  }

  /** Cancels the call; no handler is called afterwards. */
  async unsubscribe(): Promise<void> {
    this.#closed = true;
    let stream: ReadStream;
    try {
      stream = await this.#call;
    } catch {
      return;
    }
    // Like the client: cancelling in the same tick as the call's creation can break grpc-js
    // (grpc/grpc-node#1464, #1652).
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        stream.cancel();
        resolve();
      }),
    );
  }

  #attach(stream: ReadStream, rpc: StreamsRpc): void {
    this.#stream = stream;
    const cancelled = rpc.grpc.status.CANCELLED;
    stream.on('error', (err: Error & { code?: number; details?: string }) => {
      // The client's isClientCancellationError: our own cancel() ends the call quietly.
      if (err.code === cancelled && err.details === 'Cancelled on client') return;
      this.#fail(convertToCommandError(err));
    });
    stream.on('end', () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#handlers.onEnd();
    });
    if (this.#paused) stream.pause();
    stream.on('data', (response: Buffer) => this.#deliver(response));
  }

  #deliver(response: Buffer): void {
    if (this.#closed) return;
    const handlers = this.#handlers;
    try {
      const message = decodeReadResp(response);
      switch (message.kind) {
        case 'event':
          handlers.onEvent(message);
          return;
        case 'checkpoint':
          handlers.onCheckpoint({ commit: message.commit, prepare: message.prepare });
          return;
        case 'caught-up':
          handlers.onCaughtUp();
          return;
        case 'fell-behind':
          handlers.onFellBehind?.();
          return;
        case 'confirmation':
          this.subscriptionId = message.subscriptionId;
          handlers.onConfirmation?.(message.subscriptionId);
          return;
        default:
          // The client ignores everything else on a subscription too.
          return;
      }
    } catch (err) {
      this.#stream?.cancel();
      this.#fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.onError(error);
  }
}

/** Starts a hand-decoded `$all` subscription on the client's connection. */
export function subscribeRawToAll(
  client: EventStoreDBClient,
  options: RawSubscribeToAllOptions,
  handlers: RawAllSubscriptionHandlers,
): RawAllSubscription {
  return new RawAllSubscription(client, options, handlers);
}
