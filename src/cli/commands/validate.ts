import { EventStoreDBClient } from '@eventstore/db-client';
import type { Command } from 'commander';
import { CONFIG_INVALID, ConfigError, formatProblem } from '../../config/config-error.js';
import type { ResolvedConfig } from '../../config/config-types.js';
import { loadConfig } from '../../config/load-config.js';
import { redactConfig } from '../../config/redact-config.js';
import { clusterMembers } from '../../preflight/cluster-members.js';
import { formatNodeReport, reportFailed } from '../../preflight/format-report.js';
import { planChecks, type NodePlan } from '../../preflight/plan-checks.js';
import { probeNode } from '../../preflight/probe-access.js';
import { describeGossip, probeGossip } from '../../preflight/probe-gossip.js';
import { errorMessage } from '../../shared/errors.js';
import { redactConnectionString, redactText } from '../../shared/redact.js';
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

/**
 * `--connect`: probes every node with the rights its links need; false when any check failed. A node whose
 * connection string names several hosts (a cluster) is probed member by member: gossip, TLS and every right on
 * each, since the client alone would only test the member it happens to pick.
 */
async function checkNodes(config: ResolvedConfig): Promise<boolean> {
  let ok = true;
  for (const plan of planChecks(config)) {
    const members = clusterMembers(plan.connectionString);
    if (members === undefined) {
      if (!(await checkOne(plan))) ok = false;
      continue;
    }
    process.stdout.write(`node ${plan.node}: a cluster of ${members.length} members, each checked on its own\n`);
    for (const member of members) {
      const memberPlan = {
        ...plan,
        node: `${plan.node} member ${member.endpoint}`,
        connectionString: member.connectionString,
      };
      if (!(await checkOne(memberPlan, member.endpoint))) ok = false;
    }
  }
  process.stdout.write(ok ? 'every node is reachable and grants every right\n' : 'problems found: see above\n');
  return ok;
}

/** One node (or one member of a cluster, with `endpoint`): false when any check failed. */
async function checkOne(plan: NodePlan, endpoint?: string): Promise<boolean> {
  const client = EventStoreDBClient.connectionString(plan.connectionString);
  try {
    if (endpoint !== undefined) {
      const gossip = await probeGossip(client, endpoint);
      if (gossip.status !== 'ok') {
        process.stdout.write(`node ${plan.node} (${redactConnectionString(plan.connectionString)}):\n`);
        process.stdout.write(`  ${'UNREACHABLE'.padEnd(11)} gossip: ${gossip.message}\n`);
        return false;
      }
      const report = await probeNode(plan, client);
      const [header, ...lines] = formatNodeReport(report, plan.connectionString);
      process.stdout.write(`${header}\n  ${'ok'.padEnd(11)} gossip: ${describeGossip(gossip)}\n`);
      for (const line of lines) process.stdout.write(`${line}\n`);
      return !reportFailed(report);
    }
    const report = await probeNode(plan, client);
    for (const line of formatNodeReport(report, plan.connectionString)) process.stdout.write(`${line}\n`);
    return !reportFailed(report);
  } finally {
    await client.dispose().catch(() => undefined);
  }
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
