import { EventStoreDBClient, type Position } from '@eventstore/db-client';
import type { Command } from 'commander';
import { installRawBytes } from '../../client/raw-bytes.js';
import { comparePositions } from '../../link/checkpoint/position.js';
import { systemClock } from '../../shared/clock.js';
import { isLinkerError } from '../../shared/errors.js';
import { CheckpointTool, type CheckpointRecord } from '../../tools/checkpoint-tool.js';
import { loadLinkTarget, type LinkTarget } from '../../tools/link-target.js';
import { formatPosition, parsePositionArg } from '../../tools/position-arg.js';
import { reportToolError } from '../../tools/report-tool-error.js';
import { TOOL_EXIT_OK } from '../../tools/tool-exit-codes.js';
import type { CommandContext } from '../command-context.js';

interface CheckpointFlags {
  config: string;
  link: string;
  position?: string;
  json?: boolean;
}

const START_POSITION: Position = { commit: 0n, prepare: 0n };

const HELP_AFTER =
  '\nThe checkpoint is the origin $all position below which the link has copied everything; it lives in the\n' +
  'destination, in the stream $linker-checkpoint-<link>. Stop the daemon before `set` or `reset`: a running\n' +
  'daemon keeps writing its own checkpoint and would overwrite yours.\n' +
  'Exit codes: 0 ok, 2 usage error (bad flags, config, link name or position), 3 the destination could not be\n' +
  'reached or read.';

export function registerCheckpointCommand(program: Command, ctx: CommandContext): void {
  const checkpoint = program
    .command('checkpoint')
    .description("Show, set or reset a link's checkpoint (stored in its destination)")
    .addHelpText('after', HELP_AFTER);

  withLinkOptions(checkpoint.command('show').description("Print the link's checkpoint and when it was written"))
    .option('--json', 'print the checkpoint as JSON')
    .action(async (flags: CheckpointFlags) => {
      ctx.setExitCode(
        await withTool('checkpoint show', flags, (tool, target) => show(tool, target, flags.json === true)),
      );
    });

  withLinkOptions(
    checkpoint
      .command('set')
      .description('Write a new checkpoint (the daemon must be stopped); the next run starts after it'),
  )
    .requiredOption('--position <commit[/prepare]>', 'origin $all position, e.g. 123456 or 123456/123456')
    .action(async (flags: CheckpointFlags) => {
      ctx.setExitCode(
        await withTool('checkpoint set', flags, (tool, target) =>
          set(tool, target, parsePositionArg(flags.position ?? '')),
        ),
      );
    });

  withLinkOptions(
    checkpoint
      .command('reset')
      .description(
        "Checkpoint at the start of the origin's $all (the daemon must be stopped): the next run replays everything",
      ),
  ).action(async (flags: CheckpointFlags) => {
    ctx.setExitCode(await withTool('checkpoint reset', flags, (tool, target) => set(tool, target, START_POSITION)));
  });
}

function withLinkOptions(command: Command): Command {
  return command
    .requiredOption('-c, --config <file>', 'config file (YAML or JSON)')
    .requiredOption('--link <name>', 'link name (see `esdb-linker validate --config FILE`)')
    .addHelpText('after', HELP_AFTER);
}

async function withTool(
  name: string,
  flags: CheckpointFlags,
  run: (tool: CheckpointTool, target: LinkTarget) => Promise<void>,
): Promise<number> {
  let client: EventStoreDBClient | undefined;
  try {
    const target = await loadLinkTarget(flags.config, flags.link);
    installRawBytes();
    client = EventStoreDBClient.connectionString(target.destination.connectionString);
    await run(new CheckpointTool(client, target.link.name, target.destination.name, systemClock), target);
    return TOOL_EXIT_OK;
  } catch (err) {
    return reportToolError(name, err, (line) => process.stderr.write(`${line}\n`));
  } finally {
    await client?.dispose();
  }
}

function describeLink(target: LinkTarget, tool: CheckpointTool): string {
  return `link ${target.link.name} (${target.origin.name} -> ${target.destination.name}), stream ${tool.streamName} in ${target.destination.name}`;
}

async function show(tool: CheckpointTool, target: LinkTarget, json: boolean): Promise<void> {
  const record = await tool.read();
  if (json) {
    process.stdout.write(`${JSON.stringify(checkpointJson(target, tool, record), null, 2)}\n`);
    return;
  }
  process.stdout.write(`${describeLink(target, tool)}\n`);
  if (!record) {
    process.stdout.write(`no checkpoint: the next run starts at the beginning of ${target.origin.name}'s $all\n`);
    return;
  }
  const written = record.at ?? record.storedAt.toISOString();
  process.stdout.write(`checkpoint: ${formatPosition(record.position)} (commit/prepare), written ${written}\n`);
}

function checkpointJson(target: LinkTarget, tool: CheckpointTool, record: CheckpointRecord | null): object {
  return {
    link: target.link.name,
    origin: target.origin.name,
    destination: target.destination.name,
    stream: tool.streamName,
    checkpoint: record && {
      commit: record.position.commit.toString(),
      prepare: record.position.prepare.toString(),
      at: record.at ?? null,
      storedAt: record.storedAt.toISOString(),
      revision: record.revision.toString(),
    },
  };
}

async function set(tool: CheckpointTool, target: LinkTarget, position: Position): Promise<void> {
  let before: CheckpointRecord | null = null;
  let was = 'no checkpoint';
  try {
    before = await tool.read();
    if (before) was = formatPosition(before.position);
  } catch (err) {
    // Replacing a damaged checkpoint is one of the reasons this command exists.
    if (!isLinkerError(err, 'ESDBL_LINK_CHECKPOINT_INVALID')) throw err;
    was = `an invalid checkpoint: ${err.message}`;
  }
  await tool.write(position);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(describeLink(target, tool));
  out(`checkpoint set to ${formatPosition(position)} (was ${was})`);
  if (comparePositions(position, START_POSITION) === 0) {
    out(
      `the next run replays ${target.origin.name}'s whole $all into ${target.destination.name}; that is harmless ` +
        'because appends are idempotent (same event ids at the same expected revisions), it only takes time',
    );
  } else if (before && comparePositions(position, before.position) > 0) {
    out(`warning: events of ${target.origin.name} between the old and the new position will NOT be copied`);
  } else if (before) {
    out('events after the new position are copied again on the next run; harmless, appends are idempotent');
  }
  out('the daemon must not be running while the checkpoint is changed: start it now to continue from here');
}
