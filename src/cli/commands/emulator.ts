import { InvalidArgumentError, type Command } from 'commander';
import { createLogger } from '../../observability/logger.js';
import { startCluster, startEmulator } from '../../emulator/index.js';
import { parseUserSpec } from '../../emulator/security/users.js';
import type { CommandContext } from '../command-context.js';

interface EmulatorFlags {
  host: string;
  port: number;
  data?: string;
  batchAppend: boolean;
  logLevel: string;
  cluster?: number;
  electionMs?: number;
  secure?: boolean;
  cert?: string;
  key?: string;
  ca?: string;
  user: string[];
}

function parseClusterSize(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 9) {
    throw new InvalidArgumentError(`cluster size must be an integer from 1 to 9, got '${value}'.`);
  }
  return Number(value);
}

function parseElectionMs(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 60_000) {
    throw new InvalidArgumentError(`election time must be an integer from 0 to 60000 (milliseconds), got '${value}'.`);
  }
  return Number(value);
}

function collectUser(value: string, previous: string[]): string[] {
  try {
    parseUserSpec(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return [...previous, value];
}

function parsePort(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got '${value}'.`);
  const port = Number(value);
  if (port > 65535) throw new InvalidArgumentError(`port must be an integer from 0 to 65535, got '${value}'.`);
  return port;
}

function parseHost(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('host must not be empty.');
  return value;
}

/**
 * `esdb-linker emulator`: runs the EventStoreDB-compatible test server until SIGINT/SIGTERM. When ready it
 * prints exactly one line on stdout holding the connection string (scripts wait for it).
 */
export function registerEmulatorCommand(program: Command, ctx: CommandContext): void {
  program
    .command('emulator')
    .description(
      'Run the EventStoreDB-compatible emulator, one node or a cluster (insecure gRPC, or TLS with users and ACLs with --secure).',
    )
    .option('--host <host>', 'address to listen on', parseHost, '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', parsePort, 2113)
    .option('--data <dir>', 'directory for the append-only log (memory only when omitted)')
    .option('--no-batch-append', 'do not advertise BatchAppend (clients fall back to Append)')
    .option(
      '--cluster <nodes>',
      'serve a cluster of this many nodes on ports PORT, PORT+1, ... (any free ports with --port 0)',
      parseClusterSize,
    )
    .option(
      '--election-ms <ms>',
      'with --cluster: how long an election takes (writes answer "Server Is Not Ready" meanwhile)',
      parseElectionMs,
    )
    .option('--secure', 'TLS, users and ACLs like a secure server (development certificates unless --cert/--key/--ca)')
    .option('--cert <file>', 'PEM node certificate for --secure (with --key and --ca)')
    .option('--key <file>', 'PEM private key of --cert')
    .option('--ca <file>', 'PEM CA certificate that signed --cert and the user certificates to accept')
    .option(
      '--user <NAME:PASSWORD[:GROUP,...]>',
      'an extra user for --secure (repeatable; admin and ops with password changeit always exist)',
      collectUser,
      [],
    )
    .option('--log-level <level>', 'log level for stderr', 'warn')
    .action(async (flags: EmulatorFlags) => {
      const logger = createLogger({ level: flags.logLevel, destination: 2, format: 'json' });
      // Signal handlers go in before anything is printed, so a signal right after the ready line is never lost.
      let signalled!: () => void;
      const stopRequested = new Promise<void>((resolve) => {
        signalled = resolve;
      });
      const onSignal = (): void => signalled();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let exitCode = 0;
      try {
        let emulator;
        try {
          const tlsFiles = flags.cert !== undefined || flags.key !== undefined || flags.ca !== undefined;
          if (!flags.secure && (tlsFiles || flags.user.length > 0)) {
            throw new Error('--cert, --key, --ca and --user need --secure');
          }
          const common = {
            host: flags.host,
            port: flags.port,
            dataDir: flags.data,
            batchAppend: flags.batchAppend,
            secure: flags.secure
              ? { certFile: flags.cert, keyFile: flags.key, caFile: flags.ca, users: flags.user }
              : false,
            logger,
          };
          emulator =
            flags.cluster === undefined
              ? await startEmulator(common)
              : await startCluster({ ...common, nodes: flags.cluster, electionMs: flags.electionMs });
          if (flags.cluster === undefined && flags.electionMs !== undefined) {
            process.stderr.write('esdb-linker emulator: --election-ms only applies with --cluster; ignored\n');
          }
        } catch (err) {
          process.stderr.write(`esdb-linker emulator: ${(err as Error).message}\n`);
          ctx.setExitCode(1);
          return;
        }
        process.stdout.write(`emulator ready: ${emulator.connectionString}\n`);
        await stopRequested;
        try {
          await emulator.stop();
        } catch (err) {
          process.stderr.write(`esdb-linker emulator: stop failed: ${(err as Error).message}\n`);
          exitCode = 1;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      ctx.setExitCode(exitCode);
    });
}
