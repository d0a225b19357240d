import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { Logger } from 'pino';
import { ConfigError } from '../../config/config-error.js';
import { loadConfig } from '../../config/load-config.js';
import type { ResolvedConfig } from '../../config/config-types.js';
import { Daemon } from '../../daemon/daemon.js';
import { RUN_TIMEOUT } from '../../daemon/daemon-errors.js';
import {
  EXIT_ERROR,
  EXIT_INTERRUPTED,
  EXIT_LINK_FAILED,
  EXIT_OK,
  EXIT_TIMEOUT,
  forcedExitCode,
} from '../../daemon/exit-codes.js';
import { handleShutdownSignals } from '../../daemon/shutdown-signals.js';
import { runUntilCaughtUp } from '../../daemon/until-caught-up.js';
import { createLogger } from '../../observability/logger.js';
import { systemClock } from '../../shared/clock.js';
import { errorMessage, LinkerError } from '../../shared/errors.js';
import { redactText } from '../../shared/redact.js';
import type { CommandContext } from '../command-context.js';

interface RunFlags {
  config: string;
  untilCaughtUp?: boolean;
  timeout?: number;
}

/** Past the grace period the drain is abandoned and the process exits anyway, so a supervisor never waits forever. */
const WATCHDOG_MARGIN_MS = 10_000;
/** How long the process may linger after a finished shutdown before it exits regardless. */
const EXIT_LINGER_MS = 3_000;

export function registerRunCommand(program: Command, ctx: CommandContext): void {
  program
    .command('run')
    .description(
      'Run the links of a config until SIGTERM/SIGINT, or with --until-caught-up until every origin is copied',
    )
    .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--until-caught-up', 'copy everything each origin holds at start, then drain and exit 0')
    .option(
      '--timeout <duration>',
      'with --until-caught-up: give up (exit 4) after this long, e.g. 90s, 15m, 2h (a bare number is seconds)',
      parseDuration,
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 error (config, start-up, drain overran), 2 usage, 3 a link failed,\n' +
        '4 --timeout expired, 5 --until-caught-up interrupted by a signal, 130/143 forced by a second signal.',
    )
    .action(async (flags: RunFlags) => {
      ctx.setExitCode(await runCommand(flags));
    });
}

async function runCommand(flags: RunFlags): Promise<number> {
  if (flags.timeout !== undefined && !flags.untilCaughtUp) {
    process.stderr.write('esdb-linker run: --timeout only applies with --until-caught-up\n');
    return 2;
  }
  let config: ResolvedConfig;
  try {
    config = await loadConfig(flags.config, process.env);
  } catch (err) {
    // ConfigError messages are already one line per problem with its key path; never a stack.
    const text = err instanceof ConfigError ? err.message : `cannot load config ${flags.config}: ${errorMessage(err)}`;
    process.stderr.write(`esdb-linker run: ${redactText(text)}\n`);
    return EXIT_ERROR;
  }

  if (flags.untilCaughtUp && config.cluster) {
    // A member runs only the links it holds; "caught up" is a whole-cluster question it cannot answer alone.
    process.stderr.write(
      'esdb-linker run: --until-caught-up cannot be combined with a cluster section (a member runs only the links it holds)\n',
    );
    return 2;
  }
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  for (const w of config.warnings) logger.warn({ path: w.path }, `config: ${w.path}: ${w.message}`);
  const daemon = new Daemon({ config, logger, clock: systemClock, version: packageVersion() });

  const shutdown = new AbortController();
  let forced = false;
  const signals = handleShutdownSignals({
    onShutdown(signal) {
      logger.info({ signal, graceMs: config.shutdownGraceMs }, `${signal} received: draining (send it again to force)`);
      shutdown.abort(new ShutdownRequested(signal));
    },
    onForce(signal) {
      forced = true;
      logger.warn({ signal }, `${signal} received again: exiting without draining`);
      logger.flush();
      process.exit(forcedExitCode(signal));
    },
  });
  try {
    const code = flags.untilCaughtUp
      ? await catchUpThenStop(daemon, config, logger, shutdown.signal, flags.timeout)
      : await runUntilSignal(daemon, config, logger, shutdown.signal);
    // Everything is closed; should a library still hold a handle open, the process must exit anyway.
    setTimeout(() => {
      logger.warn('handles still open after shutdown: exiting');
      logger.flush();
      process.exit(code);
    }, EXIT_LINGER_MS).unref();
    return code;
  } finally {
    signals.dispose();
    if (!forced) logger.flush();
  }
}

class ShutdownRequested extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`${signal} received`);
  }
}

async function runUntilSignal(
  daemon: Daemon,
  config: ResolvedConfig,
  logger: Logger,
  shutdown: AbortSignal,
): Promise<number> {
  const everyLinkFailed = new AbortController();
  const unsubscribe = daemon.onLinkFailure(() => {
    if (daemon.failures().length === daemon.linkNames().length) everyLinkFailed.abort();
  });
  try {
    await daemon.start();
  } catch (err) {
    return failStart(daemon, logger, err);
  }
  logger.info({ links: daemon.linkNames(), http: daemon.httpUrl ?? null }, 'running');
  await waitForAbort(AbortSignal.any([shutdown, everyLinkFailed.signal]));
  unsubscribe();
  if (everyLinkFailed.signal.aborted && !shutdown.aborted) {
    // Nothing is replicating: exit non-zero so a supervisor notices, restarts with backoff, and logs say why.
    logger.error({ failures: daemon.failures() }, 'every link failed: stopping');
  }
  const drained = await stopWithWatchdog(daemon, config, logger);
  if (!drained) return EXIT_ERROR;
  return daemon.failures().length > 0 ? EXIT_LINK_FAILED : EXIT_OK;
}

/** A daemon that could not start: say why, release what it holds, exit with the error code. */
async function failStart(daemon: Daemon, logger: Logger, err: unknown): Promise<number> {
  logger.error({ err, code: err instanceof LinkerError ? err.code : undefined }, `cannot start: ${errorMessage(err)}`);
  await daemon.stop();
  return EXIT_ERROR;
}

async function catchUpThenStop(
  daemon: Daemon,
  config: ResolvedConfig,
  logger: Logger,
  shutdown: AbortSignal,
  timeoutMs: number | undefined,
): Promise<number> {
  const signals = [shutdown];
  if (timeoutMs !== undefined) signals.push(AbortSignal.timeout(timeoutMs));
  let outcome;
  try {
    outcome = await runUntilCaughtUp({
      daemon,
      logger,
      clock: systemClock,
      signal: AbortSignal.any(signals),
      progressStream: process.stderr,
    });
  } catch (err) {
    return failStart(daemon, logger, err);
  }
  let code: number;
  switch (outcome.kind) {
    case 'caught-up':
      logger.info({ targets: outcome.targets }, 'caught up: every link copied what its origin held at start');
      code = EXIT_OK;
      break;
    case 'link-failed':
      logger.error({ failure: outcome.failure }, `link ${outcome.failure.link} failed: ${outcome.failure.message}`);
      code = EXIT_LINK_FAILED;
      break;
    case 'aborted':
      if (outcome.reason instanceof ShutdownRequested) {
        logger.warn('interrupted before catching up: checkpoints are written, run again to continue');
        code = EXIT_INTERRUPTED;
      } else {
        logger.error({ code: RUN_TIMEOUT, timeoutMs }, `not caught up within --timeout ${timeoutMs} ms`);
        code = EXIT_TIMEOUT;
      }
      break;
  }
  const drained = await stopWithWatchdog(daemon, config, logger);
  if (!drained && code === EXIT_OK) return EXIT_ERROR;
  return code;
}

/** Stops the daemon; returns false when it did not finish draining in time (checkpoints may lag). */
async function stopWithWatchdog(daemon: Daemon, config: ResolvedConfig, logger: Logger): Promise<boolean> {
  const watchdog = setTimeout(() => {
    logger.error(`shutdown did not finish within ${config.shutdownGraceMs + WATCHDOG_MARGIN_MS} ms: exiting`);
    logger.flush();
    process.exit(EXIT_ERROR);
  }, config.shutdownGraceMs + WATCHDOG_MARGIN_MS);
  watchdog.unref();
  try {
    const report = await daemon.stop();
    return report.drainTimedOut.length === 0;
  } finally {
    clearTimeout(watchdog);
  }
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** `90`, `90s`, `1500ms`, `15m`, `2h` -> milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`expected a duration such as 90s, 15m or 2h, got "${value}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1_000 : unit === 'm' ? 60_000 : 3_600_000;
  const ms = Math.round(n * factor);
  if (ms <= 0) throw new InvalidArgumentError(`the duration must be positive, got "${value}"`);
  return ms;
}

function packageVersion(): string {
  // The compiled file (dist/src/cli/commands/run.js) sits four levels below package.json.
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return process.env.npm_package_version ?? '0.0.0';
  }
}
