import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';

// Placeholder registration: the command's implementation lands with its issue.
export function registerConflictsCommand(program: Command, ctx: CommandContext): void {
  program
    .command('conflicts')
    .description('(not implemented yet)')
    .action(() => {
      process.stderr.write('esdb-linker conflicts: not implemented yet\n');
      ctx.setExitCode(1);
    });
}
