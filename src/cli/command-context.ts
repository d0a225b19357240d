import type { Command } from 'commander';

/** Handed to every command's registrar: the only way a command reports its exit code to `main`. */
export interface CommandContext {
  setExitCode(code: number): void;
}

export type CommandRegistrar = (program: Command, ctx: CommandContext) => void;
