import { InvalidArgumentError, type Command } from 'commander';
import { runDemo } from '../../demo/run-demo.js';
import { systemClock } from '../../shared/clock.js';
import { positiveIntegerOption } from '../../tools/cli-options.js';
import type { CommandContext } from '../command-context.js';

interface DemoFlags {
  duration?: number;
  rate: number;
  port: number;
  logLevel: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function registerDemoCommand(program: Command, ctx: CommandContext): void {
  program
    .command('demo')
    .description(
      'Start three embedded nodes (dc1, dc2, reporting), write traffic, and replicate dc1 <-> dc2 plus a fan-in into reporting, with the status page',
    )
    .option(
      '--duration <seconds>',
      'stop by itself after this many seconds (default: until Ctrl-C)',
      positiveIntegerOption,
    )
    .option('--rate <n>', 'events per second written over dc1 and dc2', positiveIntegerOption, 50)
    .option('--port <port>', 'HTTP port of the status page and metrics (0 = a free port)', portOption, 0)
    .option('--log-level <level>', `daemon log lines on stderr: ${LOG_LEVELS.join(', ')}`, levelOption, 'error')
    .addHelpText(
      'after',
      '\nCtrl-C (or SIGTERM) stops traffic, drains the links, closes the nodes and exits 0; a second Ctrl-C forces.',
    )
    .action(async (flags: DemoFlags) => {
      const controller = new AbortController();
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
          controller.abort(new Error(`interrupted by ${signal}`));
          return;
        }
        process.stderr.write('esdb-linker demo: second signal, exiting without cleanup\n');
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        ctx.setExitCode(
          await runDemo({
            durationSeconds: flags.duration,
            rate: flags.rate,
            httpPort: flags.port,
            logLevel: flags.logLevel,
            out: process.stdout,
            tty: process.stdout.isTTY === true,
            signal: controller.signal,
            clock: systemClock,
            version: process.env.npm_package_version ?? '0.1.0',
          }),
        );
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

function portOption(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535)
    throw new InvalidArgumentError(`expected a port 0-65535, got ${JSON.stringify(value)}`);
  return n;
}

function levelOption(value: string): string {
  if (!LOG_LEVELS.includes(value)) throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}`);
  return value;
}
