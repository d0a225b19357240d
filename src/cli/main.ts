import { Command, CommanderError } from 'commander';
import { registerCheckpointCommand } from './commands/checkpoint.js';
import { registerConflictsCommand } from './commands/conflicts.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerEmulatorCommand } from './commands/emulator.js';
import { registerLinkCommand } from './commands/link.js';
import { registerRunCommand } from './commands/run.js';
import { registerValidateCommand } from './commands/validate.js';
import { registerVerifyCommand } from './commands/verify.js';
import type { CommandRegistrar } from './command-context.js';

const registrars: CommandRegistrar[] = [
  registerRunCommand,
  registerValidateCommand,
  registerVerifyCommand,
  registerCheckpointCommand,
  registerConflictsCommand,
  registerLinkCommand,
  registerEmulatorCommand,
  registerDemoCommand,
];

/**
 * Parses argv, runs one command and resolves with the process exit code. Usage errors (unknown command,
 * bad or missing flags) exit 2 with commander's message; a command's own failures choose their code.
 */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('esdb-linker')
    .description('Replicates events between EventStoreDB/KurrentDB databases.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  program.configureHelp({ sortSubcommands: true });
  const ctx = {
    setExitCode: (code: number) => {
      exitCode = code;
    },
  };
  for (const register of registrars) register(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return 0;
      }
      return 2;
    }
    throw err;
  }
  return exitCode;
}
