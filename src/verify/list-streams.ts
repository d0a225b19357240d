import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';
import { readFailure, type Side } from './read-failure.js';
import { StreamSelection } from './stream-selection.js';

/**
 * Every user stream a node has ever written, from one pass over `$all` (there are no system projections
 * such as `$streams` to ask). Deleted streams stay listed: their records remain in `$all` until a scavenge,
 * and their deleted state is part of what a comparison checks.
 */
export async function listUserStreams(
  client: EventStoreDBClient,
  side: Side,
  signal: AbortSignal | undefined,
): Promise<Set<string>> {
  const names = new Set<string>();
  const read = client.readAll({ fromPosition: START, direction: FORWARDS });
  try {
    for await (const resolved of read) {
      if (signal?.aborted) {
        // Leaving the loop alone would leave the gRPC call open (paused); cancel ends it.
        await read.cancel();
        throw signal.reason;
      }
      const streamId = resolved.event?.streamId;
      if (streamId === undefined) continue;
      const name = StreamSelection.userStreamOf(streamId);
      if (name !== undefined) names.add(name);
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw readFailure(side, 'listing streams', err);
  }
  return names;
}
