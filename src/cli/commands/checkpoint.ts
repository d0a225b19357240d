import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';

// Placeholder registration: the command's implementation lands with its issue.
export function registerCheckpointCommand(program: Command, ctx: CommandContext): void {
  program
    .command('checkpoint')
    .description('(not implemented yet)')
    .action(() => {
      process.stderr.write('esdb-linker checkpoint: not implemented yet\n');
      ctx.setExitCode(1);
    });
}
