import type { EventStore } from '../store/event-store.js';
import { isVisible, streamReadability } from '../store/stream-visibility.js';
import { rpcErrors } from '../wire/rpc-errors.js';
import { eventMessage, streamNotFoundMessage } from './event-messages.js';
import type { ReadPlan } from './read-options.js';
import type { MessageSink } from './response-writer.js';

/** A finite read of one stream. Throws an RpcError for a tombstoned stream. */
export async function readStream(
  store: EventStore,
  plan: ReadPlan & { target: { kind: 'stream' } },
  out: MessageSink,
  nowMs: number,
): Promise<void> {
  const { streamId, from } = plan.target;
  const readable = streamReadability(store, streamId, nowMs);
  if (readable.kind === 'deleted') throw rpcErrors.streamDeleted(streamId);
  if (readable.kind === 'not_found') {
    await out.write(streamNotFoundMessage(streamId));
    return;
  }
  const entry = readable.entry;
  const last = entry.count - 1;
  let remaining = plan.count ?? Number.MAX_SAFE_INTEGER;
  if (!plan.backwards) {
    const start = from === 'start' ? 0 : from === 'end' ? last + 1 : from > BigInt(last) ? last + 1 : Number(from);
    let rev = Math.max(start, readable.firstVisible);
    if (plan.compatibility >= 1 && rev !== start && rev <= last) {
      // The real server tells a compatibility client where the readable part of a truncated stream begins.
      // DEVIATION (documented): sent whenever the start is inside the truncated part.
      await out.write({ first_stream_position: String(rev) });
    }
    for (; rev <= last && remaining > 0; rev++) {
      const record = entry.recordAt(rev);
      if (record === undefined || !isVisible(readable, record)) continue;
      await out.write(eventMessage(store, plan, record, nowMs));
      remaining--;
    }
  } else {
    let rev = from === 'end' ? last : from === 'start' ? 0 : from > BigInt(last) ? last : Number(from);
    if (from === 'start') rev = -1; // backwards from the start reads nothing
    for (; rev >= readable.firstVisible && remaining > 0; rev--) {
      const record = entry.recordAt(rev);
      if (record === undefined || !isVisible(readable, record)) continue;
      await out.write(eventMessage(store, plan, record, nowMs));
      remaining--;
    }
  }
  if (plan.compatibility >= 1) await out.write({ last_stream_position: String(last) });
}

/** A finite read of `$all` (forwards inclusive of the start position, backwards strictly before it). */
export async function readAll(
  store: EventStore,
  plan: ReadPlan & { target: { kind: 'all' } },
  out: MessageSink,
  nowMs: number,
): Promise<void> {
  const { from } = plan.target;
  const log = store.log;
  let remaining = plan.count ?? Number.MAX_SAFE_INTEGER;
  // DEVIATION (documented): a filtered read applies the filter without max-search-window paging.
  const filter = plan.filter;
  if (!plan.backwards) {
    let i = from === 'start' ? 0 : from === 'end' ? log.length : store.indexAtOrAfter(from);
    const end = log.length;
    for (; i < end && remaining > 0; i++) {
      if (filter && !filter.matches(log.streamIdAt(i), log.eventTypeAt(i))) continue;
      const record = log.at(i);
      if (record === undefined) continue;
      await out.write(eventMessage(store, plan, record, nowMs));
      remaining--;
    }
  } else {
    let i = from === 'end' ? log.length - 1 : from === 'start' ? -1 : store.indexAtOrAfter(from) - 1;
    for (; i >= 0 && remaining > 0; i--) {
      if (filter && !filter.matches(log.streamIdAt(i), log.eventTypeAt(i))) continue;
      const record = log.at(i);
      if (record === undefined) continue;
      await out.write(eventMessage(store, plan, record, nowMs));
      remaining--;
    }
  }
  if (plan.compatibility >= 1) {
    const last = store.lastPosition ?? 0;
    await out.write({ last_all_stream_position: { commit_position: String(last), prepare_position: String(last) } });
  }
}
