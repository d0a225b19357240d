import type { EventStore } from '../store/event-store.js';
import { caughtUpMessage, checkpointMessage, eventMessage, type EventEncoding } from '../services/event-messages.js';
import type { MessageSink } from '../services/response-writer.js';
import type { EventRecord } from '../store/types.js';
import type { EventFilter } from './event-filter.js';

export interface AllSubscriptionOptions extends EventEncoding {
  from: 'start' | 'end' | number;
  filter: EventFilter | undefined;
  now: () => number;
}

/**
 * A `$all` subscription as a cursor over the global log: catch-up and live are the same loop, so the
 * switch is gapless and duplicate-free by construction, and a slow consumer simply leaves the cursor behind
 * (it reads from the log again, like the real server's fall-back to catch-up; nothing is buffered per
 * subscriber). DEVIATION (documented): checkpoints are counted per considered event, not per read page.
 * Filtered subscriptions checkpoint every `checkpointInterval` considered events, during
 * catch-up and live, plus once when going live after a catch-up; duplicate or earlier checkpoints are
 * suppressed. The checkpoint is the last considered position, which may belong to an event the client never saw.
 */
export async function runAllSubscription(
  store: EventStore,
  options: AllSubscriptionOptions,
  out: MessageSink,
  signal: AbortSignal,
): Promise<void> {
  const log = store.log;
  const from = options.from;
  // Subscriptions start after the given position (exclusive), unlike reads.
  let cursor = from === 'start' ? 0 : from === 'end' ? log.length : store.indexAtOrAfter(from + 1);
  const filter = options.filter;
  let considered = 0;
  let lastConsidered: number | undefined = typeof from === 'number' && from > 0 ? from : undefined;
  let lastCheckpoint = -1;
  let caughtUp = false;
  // Like the real server: a subscription with nothing to catch up goes live without the going-live checkpoint.
  const startsLive = cursor >= log.length;

  const checkpoint = async (position: number | undefined): Promise<void> => {
    if (position === undefined || position <= lastCheckpoint) return;
    lastCheckpoint = position;
    considered = 0;
    await out.write(checkpointMessage(position));
  };

  while (!signal.aborted) {
    while (cursor < log.length) {
      const index = cursor++;
      const position = log.positionAt(index);
      // Like the real server: a start position beyond the log's end means "only what comes after it".
      if (typeof from === 'number' && position <= from) continue;
      if (filter === undefined) {
        await out.write(eventMessage(store, options, log.at(index) as EventRecord, options.now()));
        continue;
      }
      considered++;
      lastConsidered = position;
      // A filtered-out record is never materialised: the filter reads the two columns it needs.
      if (filter.matches(log.streamIdAt(index), log.eventTypeAt(index))) {
        await out.write(eventMessage(store, options, log.at(index) as EventRecord, options.now()));
      }
      if (considered >= filter.checkpointInterval) await checkpoint(position);
    }
    if (!caughtUp) {
      caughtUp = true;
      if (filter && !startsLive) await checkpoint(lastConsidered ?? store.lastPosition);
      await out.write(caughtUpMessage);
    }
    await store.waitForCommit(signal);
  }
}
