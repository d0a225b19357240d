import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';

// Placeholder registration: the command's implementation lands with its issue.
export function registerVerifyCommand(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description('(not implemented yet)')
    .action(() => {
      process.stderr.write('esdb-linker verify: not implemented yet\n');
      ctx.setExitCode(1);
    });
}
