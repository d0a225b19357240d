import { EventStoreDBClient } from '@eventstore/db-client';
import type { Command } from 'commander';
import { installRawBytes } from '../../client/raw-bytes.js';
import { abortOnSignals, positiveIntegerOption } from '../../tools/cli-options.js';
import { listConflicts, type ConflictListing } from '../../tools/conflict-listing.js';
import { loadLinkTarget, type LinkTarget } from '../../tools/link-target.js';
import { reportToolError } from '../../tools/report-tool-error.js';
import { TOOL_EXIT_INTERRUPTED, TOOL_EXIT_OK } from '../../tools/tool-exit-codes.js';
import { errorMessage } from '../../shared/errors.js';
import type { CommandContext } from '../command-context.js';

interface ConflictsFlags {
  config: string;
  link: string;
  limit: number;
  json?: boolean;
}

const DEFAULT_LIMIT = 20;

export function registerConflictsCommand(program: Command, ctx: CommandContext): void {
  const conflicts = program.command('conflicts').description('Inspect the conflicts a link recorded');
  conflicts
    .command('list')
    .description("List a link's recorded conflicts, newest first")
    .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
    .requiredOption('--link <name>', 'link name (see `esdb-linker validate --config FILE`)')
    .option(
      '--limit <n>',
      `at most this many conflicts from each place (default ${DEFAULT_LIMIT})`,
      positiveIntegerOption,
    )
    .option('--json', 'print the conflicts as JSON')
    .addHelpText(
      'after',
      "\nWhere conflicts are recorded depends on the link's `conflicts` policy:\n" +
        '  stream    events go to $conflicts-from-<origin>-to-<destination> in the destination;\n' +
        '  metadata  events are appended anyway with $error, $expectedRevision, $actualRevision... in their\n' +
        "            metadata (found by scanning the destination's $all backwards, up to --limit); events whose\n" +
        '            metadata cannot take the keys go to the conflict stream;\n' +
        '  halt      nothing is recorded: the link stops; see the daemon status and logs.\n' +
        'Exit codes: 0 ok, 2 usage error (bad flags, config or link name), 3 the destination could not be read.',
    )
    .action(async (flags: ConflictsFlags) => {
      ctx.setExitCode(await runList(flags));
    });
}

async function runList(flags: ConflictsFlags): Promise<number> {
  let client: EventStoreDBClient | undefined;
  const controller = new AbortController();
  const removeSignalHandlers = abortOnSignals(controller);
  try {
    const target = await loadLinkTarget(flags.config, flags.link);
    installRawBytes();
    client = EventStoreDBClient.connectionString(target.destination.connectionString);
    const listing = await listConflicts(client, target.destination.name, {
      link: target.link,
      limit: flags.limit ?? DEFAULT_LIMIT,
      signal: controller.signal,
    });
    process.stdout.write(
      flags.json === true
        ? `${JSON.stringify(listingJson(target, listing), null, 2)}\n`
        : formatListing(target, listing),
    );
    return TOOL_EXIT_OK;
  } catch (err) {
    if (controller.signal.aborted) {
      process.stderr.write(`esdb-linker conflicts list: ${errorMessage(controller.signal.reason)}\n`);
      return TOOL_EXIT_INTERRUPTED;
    }
    return reportToolError('conflicts list', err, (line) => process.stderr.write(`${line}\n`));
  } finally {
    removeSignalHandlers();
    await client?.dispose();
  }
}

function listingJson(target: LinkTarget, listing: ConflictListing): object {
  return {
    link: target.link.name,
    origin: target.origin.name,
    destination: target.destination.name,
    policy: target.link.conflicts,
    conflictStream: listing.conflictStream,
    scannedAll: listing.scannedAll,
    scannedEvents: listing.scannedEvents,
    conflicts: listing.entries,
  };
}

function formatListing(target: LinkTarget, listing: ConflictListing): string {
  const { link } = target;
  const lines = [
    `link ${link.name} (${target.origin.name} -> ${target.destination.name}), conflict policy: ${link.conflicts}`,
  ];
  lines.push(policyNote(target, listing));
  if (listing.entries.length === 0) {
    lines.push('no conflicts recorded');
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${listing.entries.length} conflict${listing.entries.length === 1 ? '' : 's'}, newest first:`);
  for (const e of listing.entries) {
    lines.push(
      `  ${e.at}  ${e.originStream}@${e.originEventNumber}  id ${e.eventId}  type ${e.type}  ` +
        `expected ${e.expectedRevision}, actual ${e.actualRevision}  -> ${e.source === 'conflict-stream' ? `recorded in ${e.record}` : `appended as ${e.record}`}`,
    );
    if (e.error) lines.push(`      ${e.error}`);
  }
  return `${lines.join('\n')}\n`;
}

function policyNote(target: LinkTarget, listing: ConflictListing): string {
  switch (target.link.conflicts) {
    case 'stream':
      return `conflicting events are written to ${listing.conflictStream} in ${target.destination.name}`;
    case 'metadata':
      return (
        `conflicting events are appended anyway with $error and the expected/actual revisions in their metadata; ` +
        `scanned the last ${listing.scannedEvents} events of ${target.destination.name}'s $all for them ` +
        `(and ${listing.conflictStream} for events whose metadata could not take the keys)`
      );
    case 'halt':
      return `policy halt records nothing: the link stops at the first conflict (see the daemon's status and logs); showing ${listing.conflictStream} from earlier policies`;
  }
}
