import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { silentLogger } from '../observability/logger.js';
import type { Emulator, EmulatorOptions } from './emulator-api.js';
import { standaloneRole } from './node/node-role.js';
import { bindAddress, startNodeServer } from './node/node-server.js';
import { checkMaxAppendSize, checkPort } from './option-checks.js';
import { openStore } from './store/open-store.js';

/** Starts an EventStoreDB-compatible gRPC server (insecure, loopback by default): one node over its own log. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const port = checkPort(options.port ?? 0);
  const maxAppendSize = checkMaxAppendSize(options.maxAppendSize);
  const logger: Logger = options.logger ?? silentLogger();

  const opened = openStore(options.dataDir, logger);
  const instanceId = randomUUID();
  let node;
  try {
    // DEVIATION (documented): insecure only; no TLS, authentication or ACLs.
    node = await startNodeServer({
      host,
      port,
      store: opened.store,
      role: (self) => standaloneRole(() => ({ instanceId, host: self.host, port: self.port() })),
      logger,
      maxAppendSize,
      batchAppend: options.batchAppend ?? true,
    });
  } catch (err) {
    opened.close();
    throw err;
  }
  logger.info({ host, port: node.port, dataDir: options.dataDir }, 'emulator listening');

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
    connectionString: `esdb://${bindAddress(host, node.port)}?tls=false`,
    faults: node.faults,
    stop,
  };
}
