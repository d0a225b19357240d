import { FORWARDS, START, type EventStoreDBClient } from '@eventstore/db-client';
import { rawBytesOf } from '../client/raw-bytes.js';

function writerOf(metadata: Uint8Array): unknown {
  try {
    return (JSON.parse(Buffer.from(metadata).toString('utf8')) as { node?: unknown } | null)?.node;
  } catch {
    return undefined;
  }
}

export interface ExactlyOnceResult {
  /** Events per stream prefix (`dc1.`), user streams only. */
  perPrefix: Record<string, number>;
  total: number;
  /** Event ids found more than once (in any streams). */
  duplicates: string[];
  /** Events whose stream prefix is not the DC their metadata says wrote them. */
  misplaced: string[];
}

/**
 * Reads every user event of the fan-in destination once and checks what the demo promises: no event id twice,
 * and each event under the prefix of the DC that wrote it (the demo's traffic records it in `metadata.node`).
 */
export async function checkExactlyOnce(
  client: EventStoreDBClient,
  prefixes: readonly string[],
  signal?: AbortSignal,
): Promise<ExactlyOnceResult> {
  const perPrefix: Record<string, number> = Object.fromEntries(prefixes.map((p) => [p, 0]));
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const misplaced: string[] = [];
  let total = 0;
  for await (const resolved of client.readAll({ fromPosition: START, direction: FORWARDS })) {
    signal?.throwIfAborted();
    const event = resolved.event;
    if (!event || event.streamId.startsWith('$')) continue;
    total++;
    if (seen.has(event.id)) duplicates.push(`${event.streamId}@${event.revision}`);
    seen.add(event.id);
    const prefix = prefixes.find((p) => event.streamId.startsWith(p));
    if (prefix !== undefined) perPrefix[prefix] = (perPrefix[prefix] ?? 0) + 1;
    const writer = writerOf(rawBytesOf(event).metadata);
    if (prefix === undefined || `${String(writer)}.` !== prefix) misplaced.push(`${event.streamId}@${event.revision}`);
  }
  return { perPrefix, total, duplicates, misplaced };
}
