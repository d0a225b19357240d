import { InvalidArgumentError } from 'commander';

/** Commander parser for repeatable options (`--include-prefix a --include-prefix b`). */
export function collectRepeated(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Commander parser for a positive integer option; a bad value is a usage error (exit 2). */
export function positiveIntegerOption(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`expected a positive integer, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Aborts `controller` on SIGINT/SIGTERM while a tool runs; returns the function that removes the handlers. */
export function abortOnSignals(controller: AbortController): () => void {
  const onSignal = (signal: NodeJS.Signals) => controller.abort(new Error(`interrupted by ${signal}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
