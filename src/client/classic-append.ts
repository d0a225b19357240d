import { createRequire } from 'node:module';
import { LinkerError } from '../shared/errors.js';

/**
 * Routes every `appendToStream` of `@eventstore/db-client` 6.2.1 in this process to the classic Append RPC.
 *
 * Why: the client's BatchAppend keeps ONE module-level map of pending appends (`promiseBank`) for every
 * client in the process. When the BatchAppend stream of one node fails, the pending appends of every
 * other node are rejected with that node's error (a not-leader answer even redirects them to that node's
 * leader), and a late response then throws an uncaught TypeError inside a stream `data` handler, killing
 * the process. A daemon talks to several nodes at once, so it cannot use BatchAppend safely. Classic
 * Append is one call per append; the link already coalesces events into batches, so the cost is small.
 * Fixed upstream after 6.2.1 (KurrentDB-Client-NodeJS PR #523); remove this when the client moves on.
 */
const require = createRequire(import.meta.url);
let installed = false;

type AppendFn = (this: unknown, ...args: unknown[]) => Promise<unknown>;

export function useClassicAppendOnly(): void {
  if (installed) return;
  const batch = require('@eventstore/db-client/dist/streams/appendToStream/batchAppend.js') as {
    batchAppend?: AppendFn;
  };
  const classic = require('@eventstore/db-client/dist/streams/appendToStream/append.js') as { append?: AppendFn };
  if (typeof batch.batchAppend !== 'function' || typeof classic.append !== 'function') {
    throw new LinkerError(
      'ESDBL_CLIENT_INCOMPATIBLE',
      '@eventstore/db-client internals changed (append functions not found); esdb-linker needs version 6.2.1',
    );
  }
  const append = classic.append;
  batch.batchAppend = function (this: unknown, ...args: unknown[]) {
    return append.apply(this, args);
  };
  installed = true;
}
