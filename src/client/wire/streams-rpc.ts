import type * as GrpcJs from '@grpc/grpc-js';
import type { EventStoreDBClient } from '@eventstore/db-client';
import { LinkerError } from '../../shared/errors.js';
import { clientGrpc as grpc } from '../client-grpc.js';

/**
 * The Streams service with byte-for-byte (identity) serializers, run on the connection of an
 * `@eventstore/db-client` 6.2.1 client.
 *
 * Why: the link's hot paths (the origin subscription and the destination appends) spend most of their CPU
 * in google-protobuf building and walking one object per field of every event. Encoding and decoding those
 * few messages by hand (`read-codec.ts`, `append-codec.ts`) is several times cheaper. The calls still go
 * through the client's own `execute` / `GRPCStreamCreator`, so they use its channel, leader discovery,
 * reconnection after not-leader or unavailable answers, credentials and deadlines. Those are internal
 * members of the pinned client; `streamsRpcOf` checks they exist.
 */

const SERVICE = 'event_store.client.streams.Streams';
const identity = (bytes: Buffer): Buffer => bytes;

function method(
  name: string,
  requestStream: boolean,
  responseStream: boolean,
): GrpcJs.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${SERVICE}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

export const READ_METHOD = method('Read', false, true);
export const APPEND_METHOD = method('Append', true, false);
export const BATCH_APPEND_METHOD = method('BatchAppend', true, true);

/** The grpc-js client of the raw Streams service. */
export interface RawStreamsGrpc extends GrpcJs.Client {
  read(request: Buffer, metadata: GrpcJs.Metadata, options: GrpcJs.CallOptions): GrpcJs.ClientReadableStream<Buffer>;
  append(
    metadata: GrpcJs.Metadata,
    options: GrpcJs.CallOptions,
    callback: (error: GrpcJs.ServiceError | null, response?: Buffer) => void,
  ): GrpcJs.ClientWritableStream<Buffer>;
  batchAppend(metadata: GrpcJs.Metadata, options: GrpcJs.CallOptions): GrpcJs.ClientDuplexStream<Buffer, Buffer>;
}

export type RawStreamsGrpcConstructor = new (...args: never[]) => RawStreamsGrpc;

/** One constructor per process: the client caches its grpc clients by constructor. */
export const RawStreamsClient = grpc.makeGenericClientConstructor(
  { read: READ_METHOD, append: APPEND_METHOD, batchAppend: BATCH_APPEND_METHOD },
  SERVICE,
) as unknown as RawStreamsGrpcConstructor;

export interface CallSettings {
  credentials?: { username: string; password: string };
  requiresLeader?: boolean;
  /** Milliseconds; `Infinity` for none. Absent: the client's default deadline. */
  deadline?: number;
}

/** The internal members of `@eventstore/db-client` 6.2.1's `Client` that the raw calls go through. */
export interface StreamsRpc {
  /** Runs `action` on the raw Streams client of the current connection; connection errors trigger reconnection. */
  execute<T>(debugName: string, action: (grpcClient: RawStreamsGrpc) => Promise<T>): Promise<T>;
  /**
   * A long-lived stream, created once per connection and cached in `cache` (keyed by the grpc client):
   * the client forgets it and reconnects as needed when it ends with an error.
   */
  stream<S extends NodeJS.EventEmitter>(
    debugName: string,
    creator: (grpcClient: RawStreamsGrpc) => S | Promise<S>,
    cache: WeakMap<object, Promise<S>>,
  ): Promise<S>;
  /** Call metadata and options (connection name, credentials, requires-leader, deadline). */
  callArguments(settings: CallSettings, callOptions?: GrpcJs.CallOptions): [GrpcJs.Metadata, GrpcJs.CallOptions];
  /** Whether the server advertises this method of the Streams service (ServerFeatures). */
  supports(method: GrpcJs.MethodDefinition<Buffer, Buffer>): Promise<boolean>;
  /** The absolute deadline of a call taking `deadlineMs` (absent: the client's default deadline), capped like the client's. */
  createDeadline(deadlineMs?: number): Date;
  /**
   * Makes the client drop the channel `grpcClient` runs on, so the next call opens a new connection.
   *
   * Why: the client reconnects only after UNAVAILABLE, CANCELLED (from the server) and not-leader answers.
   * A connection that stays open but stops answering (a wedged server, a middlebox that lost the flow,
   * bytes lost mid-stream) yields deadlines and our own cancellations instead, and every retry would go
   * out on the same dead connection. This reports it to the client as unavailable, through its own
   * `handleError`: it closes the channel only if it is still the current one (so concurrent reports
   * replace it once), and its next call builds a new channel.
   */
  replaceChannel(grpcClient: GrpcJs.Client, reason: string): void;
  /** `replaceChannel` for whatever channel the client uses now (after a stock call of its own went silent). */
  replaceCurrentChannel(reason: string): Promise<void>;
  /** The client's Metadata / Status types, for building requests and errors. */
  readonly grpc: typeof GrpcJs;
}

interface ClientInternals {
  execute(ctor: unknown, debugName: string, action: (c: RawStreamsGrpc) => Promise<unknown>): Promise<unknown>;
  GRPCStreamCreator(
    ctor: unknown,
    debugName: string,
    creator: (c: RawStreamsGrpc) => unknown,
    cache: WeakMap<object, unknown>,
  ): () => Promise<unknown>;
  callArguments(settings: CallSettings, callOptions?: GrpcJs.CallOptions): [GrpcJs.Metadata, GrpcJs.CallOptions];
  supports(method: { path: string }): Promise<boolean>;
  createDeadline(deadline?: number): Date;
  handleError(grpcClient: unknown, error: unknown): Promise<void>;
}

/**
 * A gRPC status error as the transport would raise it: the client's convertToCommandError makes it an
 * UnavailableError, which is what makes its handleError drop the channel.
 */
function unavailable(reason: string): Error {
  return Object.assign(new Error(`14 UNAVAILABLE: ${reason}`), {
    code: grpc.status.UNAVAILABLE,
    details: reason,
    metadata: new grpc.Metadata(),
  });
}

const cache = new WeakMap<EventStoreDBClient, StreamsRpc>();

/** The raw Streams calls of one client. */
export function streamsRpcOf(client: EventStoreDBClient): StreamsRpc {
  const known = cache.get(client);
  if (known) return known;
  const c = client as unknown as Partial<ClientInternals>;
  for (const name of [
    'execute',
    'GRPCStreamCreator',
    'callArguments',
    'supports',
    'createDeadline',
    'handleError',
  ] as const) {
    if (typeof c[name] !== 'function') {
      throw new LinkerError(
        'ESDBL_CLIENT_INCOMPATIBLE',
        `@eventstore/db-client internals changed (Client.${name} not found); esdb-linker needs version 6.2.1`,
      );
    }
  }
  const internals = c as ClientInternals;
  const rpc: StreamsRpc = {
    execute: (debugName, action) => internals.execute(RawStreamsClient, debugName, action) as never,
    stream: (debugName, creator, streamCache) =>
      internals.GRPCStreamCreator(RawStreamsClient, debugName, creator, streamCache)() as never,
    callArguments: (settings, callOptions) => internals.callArguments(settings, callOptions),
    supports: (m) => internals.supports(m),
    createDeadline: (deadlineMs) => internals.createDeadline(deadlineMs),
    replaceChannel: (grpcClient, reason) => {
      void internals.handleError(grpcClient, unavailable(reason)).catch(() => {});
    },
    replaceCurrentChannel: async (reason) => {
      const current = await internals.execute(RawStreamsClient, 'replaceChannel', async (c) => c);
      await internals.handleError(current, unavailable(reason)).catch(() => {});
    },
    grpc,
  };
  cache.set(client, rpc);
  return rpc;
}
