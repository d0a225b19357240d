import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection of this process, for a benchmark to run just before it starts a measured phase.
 * The bench process holds the events of the phases before (hundreds of MB); without this, a major collection
 * of their garbage falls into whichever phase happens to trigger it, and is counted as that phase's CPU: on
 * a 100,000-event phase one such collection moves the link process's figure by a few µs per event.
 */
export function settleHeap(): void {
  collect();
}

const collect: () => void = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  // The documented way to reach V8's collector without a command-line flag: expose it, then read it off a fresh context.
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
