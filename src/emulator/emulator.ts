import { Server } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { LinkerError } from '../shared/errors.js';
import { silentLogger } from '../observability/logger.js';
import { CallTracker } from './call-tracker.js';
import type { Emulator, EmulatorOptions } from './emulator-api.js';
import { FaultState } from './faults.js';
import { openLogFile } from './persistence/log-file.js';
import { loadServices } from './protos.js';
import { connectionStringFor, loadSecurityMaterial, nodeSecurity } from './security/secure-mode.js';
import { batchAppendHandler } from './services/batch-append.js';
import { gossipHandler } from './services/gossip.js';
import { serverFeaturesHandler } from './services/server-features.js';
import type { ServiceContext } from './services/service-context.js';
import { appendHandler } from './services/streams-append.js';
import { deleteHandler } from './services/streams-delete.js';
import { readHandler } from './services/streams-read.js';
import { EventStore } from './store/event-store.js';
import { noJournal, type Journal } from './store/journal.js';
import { rpcErrors } from './wire/rpc-errors.js';

const DEFAULT_MAX_APPEND_SIZE = 1_048_576;
/** Above the client's 3 MiB BatchAppend chunks and its 17 MiB receive limit. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

type Lifecycle = 'starting' | 'running' | 'stopping' | 'stopped';

/** Starts an EventStoreDB-compatible gRPC server (insecure, loopback by default). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 0;
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      `emulator port must be an integer from 0 to 65535, got ${String(options.port)}`,
    );
  }
  const maxAppendSize = options.maxAppendSize ?? DEFAULT_MAX_APPEND_SIZE;
  if (!Number.isInteger(maxAppendSize) || maxAppendSize <= 0) {
    throw new LinkerError(
      'ESDBL_EMULATOR_BAD_OPTION',
      `emulator maxAppendSize must be a positive integer, got ${String(maxAppendSize)}`,
    );
  }
  const logger: Logger = options.logger ?? silentLogger();

  // Before the log opens, so a bad certificate option leaves no data-directory lock behind.
  const material =
    options.secure === undefined || options.secure === false
      ? undefined
      : await loadSecurityMaterial(options.secure === true ? {} : options.secure, { host, dataDir: options.dataDir });

  let journal: Journal = noJournal;
  const store = new EventStore({
    journal: { write: (r) => journal.write(r), close: () => journal.close() },
    now: Date.now,
  });
  if (options.dataDir !== undefined) {
    const opened = openLogFile(options.dataDir, logger);
    store.load(opened.records);
    journal = opened.journal;
  }

  const security = nodeSecurity(material, store);

  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const calls = new CallTracker();
  let boundPort = 0;
  const bindAddress = (port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const faults = new FaultState(Date.now, () => {
    calls.endAll(rpcErrors.unavailable());
    if (boundPort !== 0) server.drain(bindAddress(boundPort), 0);
  });
  const ctx: ServiceContext = {
    store,
    faults,
    calls,
    security: security.calls,
    logger,
    maxAppendSize,
    batchAppend: options.batchAppend ?? true,
    host,
    port: () => boundPort,
    now: Date.now,
  };

  const services = loadServices();
  server.addService(
    services.streams,
    security.calls.guard({
      Read: readHandler(ctx),
      Append: appendHandler(ctx),
      BatchAppend: batchAppendHandler(ctx),
      Delete: deleteHandler(ctx, false),
      Tombstone: deleteHandler(ctx, true),
    }),
  );
  server.addService(services.serverFeatures, security.calls.guard({ GetSupportedMethods: serverFeaturesHandler(ctx) }));
  server.addService(services.gossip, security.calls.guard({ Read: gossipHandler(ctx) }));

  let state: Lifecycle = 'starting';
  try {
    boundPort = await new Promise<number>((resolve, reject) => {
      server.bindAsync(bindAddress(requestedPort), security.credentials, (err, port) =>
        err ? reject(err) : resolve(port),
      );
    });
  } catch (err) {
    journal.close();
    throw new LinkerError(
      'ESDBL_EMULATOR_LISTEN_FAILED',
      `emulator could not listen on ${bindAddress(requestedPort)}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  state = 'running';
  logger.info({ host, port: boundPort, dataDir: options.dataDir, secure: ctx.security.secure }, 'emulator listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      state = 'stopping';
      calls.endAll(rpcErrors.unavailable());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      journal.close();
      state = 'stopped';
      logger.info({ state }, 'emulator stopped');
    })();
    return stopping;
  };

  return {
    host,
    port: boundPort,
    connectionString: connectionStringFor([`${host.includes(':') ? `[${host}]` : host}:${boundPort}`], material),
    security: security.info,
    faults,
    stop,
  };
}
