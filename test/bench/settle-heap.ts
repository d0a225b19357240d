import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection of this process, for a benchmark to run before it starts something whose pauses
 * it measures (the live phase's link): the garbage of the phases before is then not collected in the middle
 * of the measurement. Not before the throughput phases: a forced collection also shrinks the heap's limits,
 * and a link filling its buffer from there paid 2-3 µs per event more (side by side, six pairs) than one
 * starting with the heap the process had grown, as a running daemon has.
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
