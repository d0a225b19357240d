import { EventStoreDBClient, type Position } from '@eventstore/db-client';
import type { Command } from 'commander';
import { installRawBytes } from '../../client/raw-bytes.js';
import { sendCheckpointRequest } from '../../coordination/link-control.js';
import { comparePositions } from '../../link/checkpoint/position.js';
import { silentLogger } from '../../observability/logger.js';
import { systemClock } from '../../shared/clock.js';
import { CheckpointTool, type CheckpointRecord } from '../../tools/checkpoint-tool.js';
import { loadLinkTarget, type LinkTarget } from '../../tools/link-target.js';
import { formatPosition, parsePositionArg } from '../../tools/position-arg.js';
import { reportToolError } from '../../tools/report-tool-error.js';
import { parseTimeoutMsArg } from '../../tools/timeout-arg.js';
import { TOOL_EXIT_OK } from '../../tools/tool-exit-codes.js';
import type { CommandContext } from '../command-context.js';

interface CheckpointFlags {
  config: string;
  link: string;
  position?: string;
  json?: boolean;
  timeoutMs?: string;
}

const START_POSITION: Position = { commit: 0n, prepare: 0n };

const HELP_AFTER =
  '\nThe checkpoint is the origin $all position below which the link has copied everything; it lives in the\n' +
  'destination, in the stream $linker-checkpoint-<link>. Stop the daemon before `set` or `reset`: a running\n' +
  'daemon keeps writing its own checkpoint and would overwrite yours.\n' +
  "In cluster mode (a config with a cluster section) `set` and `reset` go to the link's owner instead, through\n" +
  'the coordinator: it drains the link, writes the checkpoint and starts the link from it; with no owner, the\n' +
  'next owner applies it before starting the link. The command waits at most --timeout-ms for the owner.\n' +
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
    .option('--timeout-ms <ms>', "cluster mode: how long to wait for the link's owner to apply it", '30000')
    .action(async (flags: CheckpointFlags) => {
      ctx.setExitCode(await change('checkpoint set', flags, () => parsePositionArg(flags.position ?? '')));
    });

  withLinkOptions(
    checkpoint
      .command('reset')
      .description(
        "Checkpoint at the start of the origin's $all (the daemon must be stopped): the next run replays everything",
      ),
  )
    .option('--timeout-ms <ms>', "cluster mode: how long to wait for the link's owner to apply it", '30000')
    .action(async (flags: CheckpointFlags) => {
      ctx.setExitCode(await change('checkpoint reset', flags, () => START_POSITION));
    });
}

/** `set`/`reset`: written directly, or in cluster mode handed to the link's owner. */
function change(name: string, flags: CheckpointFlags, position: () => Position): Promise<number> {
  return withTool(
    name,
    flags,
    (tool, target) => set(tool, target, position()),
    async (target) => {
      await setThroughCluster(target, position(), parseTimeoutMsArg(flags.timeoutMs ?? '30000'));
    },
  );
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
  inCluster?: (target: LinkTarget) => Promise<void>,
): Promise<number> {
  let client: EventStoreDBClient | undefined;
  try {
    const target = await loadLinkTarget(flags.config, flags.link);
    if (inCluster && target.config.cluster) {
      await inCluster(target);
      return TOOL_EXIT_OK;
    }
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
  const { before, was } = await tool.replace(position);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(describeLink(target, tool));
  out(`checkpoint set to ${formatPosition(position)} (was ${was})`);
  consequences(target, position, before?.position ?? null, out);
  out('the daemon must not be running while the checkpoint is changed: start it now to continue from here');
}

/** What the new checkpoint means for the next events copied. */
function consequences(target: LinkTarget, position: Position, before: Position | null, out: (line: string) => void) {
  if (comparePositions(position, START_POSITION) === 0) {
    out(
      `the link replays ${target.origin.name}'s whole $all into ${target.destination.name}; that is harmless ` +
        'because appends are idempotent (same event ids at the same expected revisions), it only takes time',
    );
  } else if (before && comparePositions(position, before) > 0) {
    out(`warning: events of ${target.origin.name} between the old and the new position will NOT be copied`);
  } else if (before) {
    out('events after the new position are copied again; harmless, appends are idempotent');
  }
}

/** Cluster mode: the link's owner applies the checkpoint (it drains and restarts the link around it). */
async function setThroughCluster(target: LinkTarget, position: Position, timeoutMs: number): Promise<void> {
  const outcome = await sendCheckpointRequest({
    config: target.config,
    link: target.link.name,
    position,
    timeoutMs,
    logger: silentLogger(),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const p = formatPosition(position);
  if (outcome.owner === null) {
    out(
      `link ${target.link.name}: no member owns it now; its next owner sets the checkpoint to ${p} before starting it`,
    );
    return;
  }
  out(
    `link ${target.link.name}: checkpoint set to ${p} by its owner ${outcome.owner} (was ${outcome.was ?? 'unknown'})`,
  );
  const before = /^\d+\/\d+$/.test(outcome.was ?? '') ? parsePositionArg(outcome.was!) : null;
  consequences(target, position, before, out);
}
