/**
 * Coalescing rule of a lane: consecutive items for the same destination stream and of the same write kind
 * form one append, bounded by a count and by bytes. The first item is always taken, even when it alone is
 * over the byte bound, so an oversized event reaches the server and gets a definite answer.
 */
export interface Batchable {
  destStream: string;
  kind: 'append' | 'tombstone';
  bytes: number;
}

export function takeBatch<T extends Batchable>(queue: T[], maxEvents: number, maxBytes: number): T[] {
  const first = queue[0];
  if (!first) return [];
  if (first.kind === 'tombstone') return queue.splice(0, 1);
  let count = 1;
  let bytes = first.bytes;
  while (count < queue.length && count < maxEvents) {
    const next = queue[count]!;
    if (next.kind !== 'append' || next.destStream !== first.destStream) break;
    if (bytes + next.bytes > maxBytes) break;
    bytes += next.bytes;
    count++;
  }
  return queue.splice(0, count);
}
