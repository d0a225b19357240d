import type { EventStoreDBClient, ReadStreamOptions, ResolvedEvent } from '@eventstore/db-client';
import { LinkerError } from '../shared/errors.js';
import { streamsRpcOf } from './wire/streams-rpc.js';

/**
 * Reads `stream` with the client's stock `readStream` to its end within `timeoutMs`, handing each event to `each`.
 *
 * Why: the v6 client sends stock reads with no deadline at all (`deadline: Infinity`), and it reconnects only
 * on answers that say the server is gone. A read that goes out on a connection that stopped carrying bytes
 * (bytes lost mid-stream, a middlebox that dropped the flow) waits forever, and with it the link. On timeout
 * the call is cancelled, the client's channel is dropped so the next call opens a new connection, and a
 * transient error is thrown for the caller's retry to go out on it. A read cut short never returns what
 * it had so far as if it were everything.
 */
export async function readWithin(
  client: EventStoreDBClient,
  stream: string,
  options: ReadStreamOptions,
  timeoutMs: number,
  what: string,
  each: (resolved: ResolvedEvent) => void,
): Promise<void> {
  const read = client.readStream(stream, options);
  let timedOut = false;
  let failed: { err: unknown } | undefined;
  let ended = false;
  // Never by leaving the loop early: the client's dispose() waits for every call it started, and a read
  // abandoned without a cancel never ends. Cancelled first, then ended for our loop (at the latest after a
  // second: a cancel can wait on a call that never got its connection).
  const end = (): void => {
    if (ended) return;
    ended = true;
    const cancelled = read.cancel().catch(() => {});
    const later = new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref());
    void Promise.race([cancelled, later]).then(() => read.destroy());
  };
  const timer = setTimeout(() => {
    timedOut = true;
    end();
  }, timeoutMs);
  try {
    for await (const resolved of read) {
      if (timedOut || failed) continue;
      try {
        each(resolved);
      } catch (err) {
        failed = { err };
        end();
      }
    }
  } catch (err) {
    if (!timedOut && !failed) throw err;
  } finally {
    clearTimeout(timer);
  }
  if (failed) throw failed.err;
  if (!timedOut) return;
  const reason = `${what} got no answer within ${timeoutMs} ms`;
  await streamsRpcOf(client)
    .replaceCurrentChannel(reason)
    .catch(() => {});
  throw new LinkerError('ESDBL_CLIENT_READ_TIMEOUT', `${reason}; retrying on a new connection`);
}
