import { EventStoreDBClient } from '@eventstore/db-client';
import type { Command } from 'commander';
import { checkConnectionString } from '../../config/connection-string.js';
import { redactConnectionString } from '../../shared/redact.js';
import { abortOnSignals, collectRepeated, positiveIntegerOption } from '../../tools/cli-options.js';
import { loadLinkTarget } from '../../tools/link-target.js';
import { reportToolError } from '../../tools/report-tool-error.js';
import {
  TOOL_EXIT_INTERRUPTED,
  TOOL_EXIT_DIFFERENT,
  TOOL_EXIT_OK,
  TOOL_EXIT_USAGE,
} from '../../tools/tool-exit-codes.js';
import { formatVerifyText, verifyJson } from '../../tools/verify-report.js';
import { compareNodes } from '../../verify/compare-nodes.js';
import { eventSelector, linkCompareOptions } from '../../verify/link-selection.js';
import { NO_FILTER } from '../../link/filter/event-filter.js';
import type { LinkFilterOptions } from '../../link/link-options.js';
import { parseMetadataRuleText, type MetadataRule } from '../../link/filter/metadata-match.js';
import type { CompareOptions } from '../../verify/compare-types.js';
import { errorMessage } from '../../shared/errors.js';
import type { CommandContext } from '../command-context.js';

interface VerifyFlags {
  origin?: string;
  destination?: string;
  config?: string;
  link?: string;
  includePrefix?: string[];
  excludePrefix?: string[];
  includeRegex?: string;
  excludeRegex?: string;
  streamPrefix?: string;
  includeMetadata?: string[];
  excludeMetadata?: string[];
  localOnly?: boolean;
  concurrency?: number;
  maxDifferences?: number;
  strictMetadata?: boolean;
  json?: boolean;
}

interface VerifyPlan {
  origin: { label: string; connectionString: string };
  destination: { label: string; connectionString: string };
  options: CompareOptions;
  warnings: string[];
}

export function registerVerifyCommand(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description('Compare two nodes stream by stream (events, bytes, metadata, deletes) and report the differences')
    .option('--origin <connection-string>', 'the node copied from')
    .option('--destination <connection-string>', 'the node copied to')
    .option('-c, --config <file>', "take both nodes, the stream prefix and the filters from a config's link")
    .option('--link <name>', 'with --config: the link to verify')
    .option('--include-prefix <prefix>', 'compare only streams starting with this (repeatable)', collectRepeated)
    .option('--exclude-prefix <prefix>', 'skip streams starting with this (repeatable)', collectRepeated)
    .option('--include-regex <regex>', 'compare only streams matching this regex')
    .option('--exclude-regex <regex>', 'skip streams matching this regex')
    .option('--stream-prefix <prefix>', 'the destination holds origin stream S as <prefix>S (fan-in links)')
    .option(
      '--include-metadata <key:value>',
      'compare only origin events whose metadata has key = value (value* = prefix; repeatable, any matches)',
      collectRepeated,
    )
    .option('--exclude-metadata <key:value>', 'skip origin events whose metadata matches (repeatable)', collectRepeated)
    .option('--local-only', 'compare only origin events written on the origin itself (no $origin annotation)')
    .option('--concurrency <n>', 'streams compared at the same time (default 8)', positiveIntegerOption)
    .option('--max-differences <n>', 'stop after this many differences (default 20)', positiveIntegerOption)
    .option('--strict-metadata', 'compare event metadata byte for byte, replication annotations included')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      "\nStream filters apply to origin stream names. With --config/--link, the link's filters (stream, event type,\n" +
        'metadata, localOnly, fromNodes) and stream prefix are used; any filter flag given on the command line\n' +
        "replaces the link's value for that filter. With event filters, the destination must hold exactly the\n" +
        'selected origin events, in order (revisions may differ: the gaps are closed up).\n' +
        'Exit codes: 0 equal, 1 different, 2 usage error (bad flags, config or link name),\n' +
        '3 could not compare (a node is unreachable or a read failed), 130 interrupted.',
    )
    .action(async (flags: VerifyFlags, command: Command) => {
      let plan: VerifyPlan;
      try {
        plan = await planVerify(flags);
      } catch (err) {
        if (err instanceof UsageError) {
          process.stderr.write(`esdb-linker verify: ${err.message}\n`);
          command.outputHelp({ error: true });
          ctx.setExitCode(TOOL_EXIT_USAGE);
          return;
        }
        ctx.setExitCode(reportToolError('verify', err, (line) => process.stderr.write(`${line}\n`)));
        return;
      }
      ctx.setExitCode(await runVerify(plan, flags.json === true));
    });
}

class UsageError extends Error {}

async function planVerify(flags: VerifyFlags): Promise<VerifyPlan> {
  const usingConfig = flags.config !== undefined || flags.link !== undefined;
  const usingStrings = flags.origin !== undefined || flags.destination !== undefined;
  if (usingConfig && usingStrings) {
    throw new UsageError('give either --origin and --destination, or --config and --link, not both');
  }
  const cliOptions: CompareOptions = {
    includeStreamPrefixes: flags.includePrefix,
    excludeStreamPrefixes: flags.excludePrefix,
    includeStreamRegex: flags.includeRegex,
    excludeStreamRegex: flags.excludeRegex,
    streamPrefix: flags.streamPrefix,
    concurrency: flags.concurrency,
    maxDifferences: flags.maxDifferences,
    ignoreAnnotations: flags.strictMetadata !== true,
  };
  const defined = Object.fromEntries(Object.entries(cliOptions).filter(([, v]) => v !== undefined)) as CompareOptions;
  const eventFlags = eventFilterFlags(flags);

  if (usingConfig) {
    if (flags.config === undefined || flags.link === undefined) {
      throw new UsageError('--config and --link go together');
    }
    const target = await loadLinkTarget(flags.config, flags.link);
    const { link } = target;
    return {
      origin: nodeLabel(target.origin.name, target.origin.connectionString),
      destination: nodeLabel(target.destination.name, target.destination.connectionString),
      options: { ...linkCompareOptions({ ...link, filter: { ...link.filter, ...eventFlags } }), ...defined },
      warnings: [],
    };
  }
  if (flags.origin === undefined || flags.destination === undefined) {
    throw new UsageError('give --origin and --destination (connection strings), or --config and --link');
  }
  for (const [option, cs] of [
    ['--origin', flags.origin],
    ['--destination', flags.destination],
  ] as const) {
    const check = checkConnectionString(cs);
    if (check.error !== undefined) {
      throw new UsageError(`${option} ${JSON.stringify(redactConnectionString(cs))} ${check.error}`);
    }
  }
  return {
    origin: { label: redactConnectionString(flags.origin), connectionString: flags.origin },
    destination: { label: redactConnectionString(flags.destination), connectionString: flags.destination },
    options: { ...defined, ...selectorOption(eventSelector({ ...NO_FILTER, ...eventFlags }, '')) },
    warnings: [],
  };
}

/** The event filter flags given, as link filter keys (absent flags leave the link's value). */
function eventFilterFlags(flags: VerifyFlags): Partial<LinkFilterOptions> {
  const out: Partial<LinkFilterOptions> = {};
  if (flags.includeMetadata !== undefined) out.includeMetadata = flags.includeMetadata.map(metadataFlag('include'));
  if (flags.excludeMetadata !== undefined) out.excludeMetadata = flags.excludeMetadata.map(metadataFlag('exclude'));
  if (flags.localOnly === true) out.localOnly = true;
  return out;
}

function metadataFlag(which: string): (text: string) => MetadataRule {
  return (text) => {
    const rule = parseMetadataRuleText(text);
    if ('error' in rule) throw new UsageError(`--${which}-metadata ${JSON.stringify(text)} ${rule.error}`);
    return rule;
  };
}

function selectorOption(select: CompareOptions['selectOriginEvent']): CompareOptions {
  return select ? { selectOriginEvent: select } : {};
}

function nodeLabel(name: string, connectionString: string): { label: string; connectionString: string } {
  return { label: `${name} (${redactConnectionString(connectionString)})`, connectionString };
}

async function runVerify(plan: VerifyPlan, json: boolean): Promise<number> {
  for (const w of plan.warnings) process.stderr.write(`esdb-linker verify: warning: ${w}\n`);
  const origin = EventStoreDBClient.connectionString(plan.origin.connectionString);
  const destination = EventStoreDBClient.connectionString(plan.destination.connectionString);
  const controller = new AbortController();
  const removeSignalHandlers = abortOnSignals(controller);
  const started = performance.now();
  try {
    const result = await compareNodes(origin, destination, { ...plan.options, signal: controller.signal });
    const run = {
      origin: plan.origin.label,
      destination: plan.destination.label,
      streamPrefix: plan.options.streamPrefix ?? '',
      eventSelection: plan.options.selectOriginEvent !== undefined,
      durationMs: performance.now() - started,
      result,
    };
    process.stdout.write(json ? `${JSON.stringify(verifyJson(run), null, 2)}\n` : `${formatVerifyText(run)}\n`);
    return result.equal ? TOOL_EXIT_OK : TOOL_EXIT_DIFFERENT;
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write(`esdb-linker verify: ${errorMessage(controller.signal.reason)}\n`);
      return TOOL_EXIT_INTERRUPTED;
    }
    return reportToolError('verify', err, (line) => process.stderr.write(`${line}\n`));
  } finally {
    removeSignalHandlers();
    await Promise.allSettled([origin.dispose(), destination.dispose()]);
  }
}
