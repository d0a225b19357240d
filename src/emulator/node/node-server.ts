import { Server, ServerCredentials, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LinkerError } from '../../shared/errors.js';
import { CallTracker } from '../call-tracker.js';
import { FaultState } from '../faults.js';
import { loadServices } from '../protos.js';
import { insecureCallSecurity, type CallSecurity } from '../security/call-security.js';
import { batchAppendHandler } from '../services/batch-append.js';
import { gossipHandler } from '../services/gossip.js';
import { widenReceiveWindows } from './receive-windows.js';
import { serverFeaturesHandler } from '../services/server-features.js';
import type { ServiceContext } from '../services/service-context.js';
import { appendHandler } from '../services/streams-append.js';
import { deleteHandler } from '../services/streams-delete.js';
import { readHandler } from '../services/streams-read.js';
import type { EventStore } from '../store/event-store.js';
import { rpcErrors } from '../wire/rpc-errors.js';
import type { NodeRole } from './node-role.js';

/** Above the client's 3 MiB BatchAppend chunks and its 17 MiB receive limit. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** How long a graceful close waits for open calls before forcing the connections shut. */
const GRACEFUL_CLOSE_MS = 1000;

const TRAILER_FLUSH_MS = 20;

type Lifecycle = 'starting' | 'running' | 'stopping' | 'stopped';

export interface NodeServerOptions {
  readonly host: string;
  readonly port: number;
  /** The log this node serves; the nodes of a cluster share one. */
  readonly store: EventStore;
  /** Built once the bound port is known (gossip advertises it). */
  readonly role: (self: { host: string; port: () => number }) => NodeRole;
  readonly logger: Logger;
  readonly maxAppendSize: number;
  readonly batchAppend: boolean;
  /** The one place the transport security comes from (called at each bind). @defaultValue insecure */
  readonly credentials?: () => ServerCredentials;
  /** Authentication and ACL checks of every call; nodes over one store share one. @defaultValue insecure */
  readonly callSecurity?: CallSecurity;
  /** `event_store.client.operations.Operations`; not served when unset (grpc-js answers UNIMPLEMENTED). */
  readonly operations?: UntypedServiceImplementation;
}

/** One gRPC server over a (possibly shared) log. */
export interface NodeServer {
  readonly host: string;
  readonly port: number;
  readonly faults: FaultState;
  /** Streaming calls open now (subscriptions, reads, BatchAppend streams). */
  readonly openCalls: number;
  /**
   * Ends every open call with UNAVAILABLE and closes the server. `graceful` waits up to a second for calls to
   * finish; otherwise the connections drop at once (a node dying). Idempotent.
   */
  close(graceful: boolean): Promise<void>;
}

export function bindAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startNodeServer(options: NodeServerOptions): Promise<NodeServer> {
  const { host, logger } = options;
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const calls = new CallTracker();
  let boundPort = 0;
  const faults = new FaultState(Date.now, () => {
    calls.endAll(rpcErrors.unavailable());
    if (boundPort !== 0) server.drain(bindAddress(host, boundPort), 0);
  });
  const ctx: ServiceContext = {
    store: options.store,
    faults,
    calls,
    security: options.callSecurity ?? insecureCallSecurity,
    logger,
    maxAppendSize: options.maxAppendSize,
    batchAppend: options.batchAppend,
    host,
    port: () => boundPort,
    now: Date.now,
    node: options.role({ host, port: () => boundPort }),
  };

  const services = loadServices();
  server.addService(
    services.streams,
    ctx.security.guard({
      Read: readHandler(ctx),
      Append: appendHandler(ctx),
      BatchAppend: batchAppendHandler(ctx),
      Delete: deleteHandler(ctx, false),
      Tombstone: deleteHandler(ctx, true),
    }),
  );
  server.addService(services.serverFeatures, ctx.security.guard({ GetSupportedMethods: serverFeaturesHandler(ctx) }));
  server.addService(services.gossip, ctx.security.guard({ Read: gossipHandler(ctx) }));
  if (options.operations !== undefined) server.addService(services.operations, options.operations);

  let state: Lifecycle = 'starting';
  const credentials = options.credentials ?? (() => ServerCredentials.createInsecure());
  try {
    boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(bindAddress(host, options.port), credentials(), (err, port) =>
        err ? reject(err) : resolve(port),
      );
    });
    if (!widenReceiveWindows(server)) {
      logger.warn(
        'this grpc-js keeps its HTTP/2 servers elsewhere: receive windows stay at 64 KiB (slower for large events)',
      );
    }
  } catch (err) {
    server.forceShutdown();
    throw new LinkerError(
      'ESDBL_EMULATOR_LISTEN_FAILED',
      `emulator could not listen on ${bindAddress(host, options.port)}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  state = 'running';

  let closing: Promise<void> | undefined;
  const close = (graceful: boolean): Promise<void> => {
    closing ??= (async () => {
      state = 'stopping';
      calls.endAll(rpcErrors.unavailable());
      if (!graceful) {
        // The UNAVAILABLE trailers leave before the connections drop, so open calls see that and not CANCELLED.
        await new Promise((resolve) => setTimeout(resolve, TRAILER_FLUSH_MS));
        server.forceShutdown();
      } else
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, GRACEFUL_CLOSE_MS);
          server.tryShutdown(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      state = 'stopped';
      logger.debug({ host, port: boundPort, state }, 'emulator node closed');
    })();
    return closing;
  };

  return {
    host,
    port: boundPort,
    faults,
    close,
    get openCalls() {
      return calls.size;
    },
  };
}
