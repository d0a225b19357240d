export interface ShutdownSignalHandlers {
  /** The first SIGTERM or SIGINT: drain and exit on our own. */
  onShutdown(signal: NodeJS.Signals): void;
  /** Any later signal: the operator insists, exit now. */
  onForce(signal: NodeJS.Signals): void;
}

const SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * The one place the process listens to termination signals. Installing a listener replaces Node's
 * default (exit at once), so the first signal drains; the second forces. `dispose()` removes the
 * listeners so a finished command leaves the process as it found it.
 */
export function handleShutdownSignals(handlers: ShutdownSignalHandlers): { dispose(): void } {
  let received = 0;
  const listener = (signal: NodeJS.Signals): void => {
    received++;
    if (received === 1) handlers.onShutdown(signal);
    else handlers.onForce(signal);
  };
  for (const s of SIGNALS) process.on(s, listener);
  return {
    dispose() {
      for (const s of SIGNALS) process.off(s, listener);
    },
  };
}
