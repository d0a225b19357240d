import type { Command } from 'commander';
import { silentLogger } from '../../observability/logger.js';
import { loadConfig } from '../../config/load-config.js';
import { sendLinkIntent } from '../../coordination/link-control.js';
import { reportToolError } from '../../tools/report-tool-error.js';
import { parseTimeoutMsArg } from '../../tools/timeout-arg.js';
import { TOOL_EXIT_OK } from '../../tools/tool-exit-codes.js';
import type { CommandContext } from '../command-context.js';

interface LinkFlags {
  config: string;
  timeoutMs: string;
}

const HELP_AFTER =
  "\nCluster mode only: the request is stored on the cluster's coordinator (so a pause survives failover and a\n" +
  'link with no owner gets it from its next owner) and the command waits, at most --timeout-ms, for the\n' +
  "link's owner to confirm it.\n" +
  'Exit codes: 0 applied (or stored while no member owns the link), 2 usage error (bad flags, config, link\n' +
  'name, no cluster section), 3 the coordinator could not be reached or the owner did not confirm in time.';

export function registerLinkCommand(program: Command, ctx: CommandContext): void {
  const link = program
    .command('link')
    .description('Pause or resume a link of a running cluster (cluster mode)')
    .addHelpText('after', HELP_AFTER);
  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    link
      .command(`${verb} <name>`)
      .description(
        paused
          ? 'Stop the link on its owner, which keeps the lease; it stays paused across failover'
          : 'Run a paused link again',
      )
      .requiredOption('-c, --config <file>', 'config file of the cluster (YAML or JSON)')
      .option('--timeout-ms <ms>', "how long to wait for the owner's confirmation", '10000')
      .addHelpText('after', HELP_AFTER)
      .action(async (name: string, flags: LinkFlags) => {
        ctx.setExitCode(await run(`link ${verb}`, name, paused, flags));
      });
  }
}

async function run(command: string, name: string, paused: boolean, flags: LinkFlags): Promise<number> {
  try {
    const timeoutMs = parseTimeoutMsArg(flags.timeoutMs);
    const config = await loadConfig(flags.config);
    const outcome = await sendLinkIntent({
      config,
      link: name,
      paused,
      timeoutMs,
      logger: silentLogger(),
    });
    const done = paused ? 'paused' : 'resumed';
    process.stdout.write(
      outcome.owner === null
        ? `link ${name}: no member owns it now; it will be ${done} by its next owner\n`
        : `link ${name}: ${done} by its owner ${outcome.owner}\n`,
    );
    return TOOL_EXIT_OK;
  } catch (err) {
    return reportToolError(command, err, (line) => process.stderr.write(`${line}\n`));
  }
}
