import type { Writable } from 'node:stream';

/**
 * Resolves when `stream` can take more writes ('drain'), or when it can take none ever again ('close',
 * 'error'): a writer waiting for back-pressure must never hang on a call that has failed meanwhile.
 */
export function drained(stream: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    if (stream.destroyed || !stream.writableNeedDrain) return resolve();
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}
