import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { silentLogger } from '../observability/logger.js';
import type { Emulator, EmulatorOptions } from './emulator-api.js';
import { standaloneRole } from './node/node-role.js';
import { bindAddress, startNodeServer } from './node/node-server.js';
import { checkMaxAppendSize, checkPort } from './option-checks.js';
import { connectionStringFor, securityMaterialFor, storeSecurity } from './security/secure-mode.js';
import { openStore } from './store/open-store.js';

/** Starts an EventStoreDB-compatible gRPC server (insecure, or secure with `secure`): one node over its own log. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const port = checkPort(options.port ?? 0);
  const maxAppendSize = checkMaxAppendSize(options.maxAppendSize);
  const logger: Logger = options.logger ?? silentLogger();

  // Before the log opens, so a bad certificate option leaves no data-directory lock behind.
  const material = await securityMaterialFor(options.secure, { host, dataDir: options.dataDir });
  const opened = openStore(options.dataDir, logger);
  const security = storeSecurity(material, opened.store);
  const instanceId = randomUUID();
  let node;
  try {
    node = await startNodeServer({
      host,
      port,
      store: opened.store,
      role: (self) => standaloneRole(() => ({ instanceId, host: self.host, port: self.port() })),
      logger,
      maxAppendSize,
      batchAppend: options.batchAppend ?? true,
      credentials: security.credentials,
      callSecurity: security.calls,
    });
  } catch (err) {
    opened.close();
    throw err;
  }
  logger.info({ host, port: node.port, dataDir: options.dataDir, secure: security.calls.secure }, 'emulator listening');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await node.close(true);
      opened.close();
      logger.info({ state: 'stopped' }, 'emulator stopped');
    })();
    return stopping;
  };

  return {
    host,
    port: node.port,
    connectionString: connectionStringFor([bindAddress(host, node.port)], material),
    security: security.info,
    faults: node.faults,
    get openCalls() {
      return node.openCalls;
    },
    stop,
  };
}
