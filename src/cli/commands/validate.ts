import { EventStoreDBClient } from '@eventstore/db-client';
import type { Command } from 'commander';
import { CONFIG_INVALID, ConfigError, formatProblem } from '../../config/config-error.js';
import type { ResolvedConfig } from '../../config/config-types.js';
import { loadConfig } from '../../config/load-config.js';
import { redactConfig } from '../../config/redact-config.js';
import { formatNodeReport, reportFailed } from '../../preflight/format-report.js';
import { planChecks } from '../../preflight/plan-checks.js';
import { probeNode } from '../../preflight/probe-access.js';
import { errorMessage } from '../../shared/errors.js';
import { redactText } from '../../shared/redact.js';
import type { CommandContext } from '../command-context.js';

interface ValidateFlags {
  config: string;
  json?: boolean;
  connect?: boolean;
}

/**
 * `validate --config FILE`: exit 0 with a one-line summary (and warnings on stderr) for a good config; exit 1
 * with one line per problem, `file:line:column: key.path: message`, otherwise. Never prints a stack trace.
 */
export function registerValidateCommand(program: Command, ctx: CommandContext): void {
  program
    .command('validate')
    .description('Check a config file and show the links it defines (nothing is contacted unless --connect is given).')
    .requiredOption('-c, --config <file>', 'config file (.yaml, .yml or .json)')
    .option('--json', 'print the resolved config (defaults applied, credentials redacted) as JSON')
    .option(
      '--connect',
      "also connect to every node and test reachability, TLS and each link's rights (nothing is written)",
    )
    .action(async (flags: ValidateFlags) => {
      let config: ResolvedConfig;
      try {
        config = await loadConfig(flags.config);
      } catch (err) {
        if (err instanceof ConfigError) {
          for (const p of err.problems) process.stderr.write(`error: ${formatProblem(p, err.sourceName)}\n`);
          if (err.code === CONFIG_INVALID) {
            const n = err.problems.length;
            process.stderr.write(`${flags.config}: invalid (${n} problem${n === 1 ? '' : 's'})\n`);
          }
        } else {
          process.stderr.write(`error: ${redactText(errorMessage(err))}\n`);
        }
        ctx.setExitCode(1);
        return;
      }
      for (const w of config.warnings) process.stderr.write(`warning: ${formatProblem(w, flags.config)}\n`);
      if (flags.json === true) process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`);
      else process.stdout.write(`${summary(flags.config, config)}\n`);
      if (flags.connect === true) {
        const ok = await checkNodes(config);
        ctx.setExitCode(ok ? 0 : 1);
        return;
      }
      ctx.setExitCode(0);
    });
}

/** `--connect`: probes every node with the rights its links need; false when any check failed. */
async function checkNodes(config: ResolvedConfig): Promise<boolean> {
  let ok = true;
  for (const plan of planChecks(config)) {
    const client = EventStoreDBClient.connectionString(plan.connectionString);
    try {
      const report = await probeNode(plan, client);
      for (const line of formatNodeReport(report, plan.connectionString)) process.stdout.write(`${line}\n`);
      if (reportFailed(report)) ok = false;
    } finally {
      await client.dispose().catch(() => undefined);
    }
  }
  process.stdout.write(ok ? 'every node is reachable and grants every right\n' : 'problems found: see above\n');
  return ok;
}

function summary(file: string, config: ResolvedConfig): string {
  const nodes = config.nodes.map((n) => n.name).join(', ');
  const links = config.links.map((l) => `${l.origin} -> ${l.destination} (${l.name})`).join(', ');
  const w = config.warnings.length;
  return (
    `${file}: OK, ${config.nodes.length} node${config.nodes.length === 1 ? '' : 's'} (${nodes}), ` +
    `${config.links.length} link${config.links.length === 1 ? '' : 's'}: ${links}; ${w} warning${w === 1 ? '' : 's'}`
  );
}
