import type { EventStore } from '../store/event-store.js';
import { caughtUpMessage, eventMessage, type EventEncoding } from '../services/event-messages.js';
import type { MessageSink } from '../services/response-writer.js';
import { streamReadability } from '../store/stream-visibility.js';
import { rpcErrors } from '../wire/rpc-errors.js';

export interface StreamSubscriptionOptions extends EventEncoding {
  streamId: string;
  from: 'start' | 'end' | bigint;
  now: () => number;
}

/**
 * A stream subscription as a cursor over the stream's revisions (see runAllSubscription for why). From
 * revision N it starts at N+1. A tombstone ends it with StreamDeleted (an RpcError thrown to the caller).
 * DEVIATION (documented): the `$streamDeleted` record itself is not delivered; truncated events are skipped.
 */
export async function runStreamSubscription(
  store: EventStore,
  options: StreamSubscriptionOptions,
  out: MessageSink,
  signal: AbortSignal,
): Promise<void> {
  const { streamId, from } = options;
  const initialLength = store.stream(streamId)?.count ?? 0;
  let cursor = from === 'start' ? 0 : from === 'end' ? initialLength : Number(from) + 1;
  let caughtUp = false;

  while (!signal.aborted) {
    if (store.isTombstoned(streamId)) throw rpcErrors.streamDeleted(streamId);
    const entry = store.stream(streamId);
    if (entry !== undefined && cursor < entry.count) {
      const readable = streamReadability(store, streamId, options.now());
      // Truncated ($tb/$maxCount) events are skipped; a soft-deleted stream shows nothing until it is recreated.
      if (readable.kind === 'readable') cursor = Math.max(cursor, readable.firstVisible);
      else cursor = entry.count;
      while (cursor < entry.count) {
        const record = entry.recordAt(cursor++);
        if (record !== undefined) await out.write(eventMessage(store, options, record, options.now()));
      }
      continue;
    }
    if (!caughtUp) {
      caughtUp = true;
      await out.write(caughtUpMessage);
    }
    await store.waitForCommit(signal);
  }
}
