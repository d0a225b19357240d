import type { EventStoreDBClient, RecordedEvent } from '@eventstore/db-client';
import type { Difference } from './compare-types.js';
import { compareEvents, describeByteDifference, describeObjectDifference } from './event-comparison.js';
import { SOFT_DELETE_TB, StreamCursor, readStreamMetadata, type StreamMetadataView } from './stream-cursor.js';

export interface StreamComparisonContext {
  origin: EventStoreDBClient;
  destination: EventStoreDBClient;
  ignoreAnnotations: boolean;
  /** Origin events outside a link's selection are read past (see `CompareOptions.selectOriginEvent`). */
  selectOriginEvent: ((event: RecordedEvent) => boolean) | undefined;
  signal: AbortSignal | undefined;
}

export interface StreamComparison {
  differences: Difference[];
  eventsCompared: number;
}

type DeletedState = 'tombstoned' | 'soft-deleted' | 'no-events' | 'events';

const NO_KEYS: ReadonlySet<string> = new Set();

/**
 * With an event selection, an origin stream missing from the destination is expected when none of its
 * readable events is selected (the link never created it); without one, or otherwise, it is a difference.
 */
export async function expectedAbsent(ctx: StreamComparisonContext, originName: string): Promise<boolean> {
  if (ctx.selectOriginEvent === undefined) return false;
  const origin = new StreamCursor(ctx.origin, 'origin', originName, ctx.selectOriginEvent);
  try {
    await origin.open();
    return !origin.hasEvents;
  } finally {
    await origin.close();
  }
}

/**
 * Compares one stream present on both sides: deleted state first (a deleted stream has nothing else to
 * compare), then its metadata, then its events in lockstep, stopping at the first event difference.
 */
export async function compareStream(
  ctx: StreamComparisonContext,
  originName: string,
  destinationName: string,
): Promise<StreamComparison> {
  const differences: Difference[] = [];
  const origin = new StreamCursor(ctx.origin, 'origin', originName, ctx.selectOriginEvent);
  const destination = new StreamCursor(ctx.destination, 'destination', destinationName);
  try {
    const [originMeta, destinationMeta] = await Promise.all([
      readStreamMetadata(ctx.origin, 'origin', originName),
      readStreamMetadata(ctx.destination, 'destination', destinationName),
      origin.open(),
      destination.open(),
    ]);
    const originState = deletedState(origin, originMeta);
    const destinationState = deletedState(destination, destinationMeta);
    if (ctx.selectOriginEvent !== undefined && originState === 'no-events') {
      // The link creates a destination stream only for selected events: this one is an orphan.
      differences.push({
        stream: originName,
        kind: 'only-in-destination',
        detail: `no readable origin event of ${JSON.stringify(originName)} is selected, but the destination has stream ${JSON.stringify(destinationName)}`,
      });
      return { differences, eventsCompared: 0 };
    }
    if (originState !== destinationState) {
      differences.push({
        stream: originName,
        kind: 'deleted-state',
        detail: `origin ${describeState(originState)}, destination ${describeState(destinationState)}`,
      });
      return { differences, eventsCompared: 0 };
    }
    if (originState === 'tombstoned') return { differences, eventsCompared: 0 };

    const metadataDiff = compareStreamMetadata(originMeta, destinationMeta);
    if (metadataDiff !== undefined)
      differences.push({ stream: originName, kind: 'stream-metadata', detail: metadataDiff });

    const eventsCompared = await compareEventSequences(ctx, originName, origin, destination, differences);
    return { differences, eventsCompared };
  } finally {
    await Promise.all([origin.close(), destination.close()]);
  }
}

function deletedState(cursor: StreamCursor, metadata: StreamMetadataView): DeletedState {
  if (cursor.state === 'tombstoned' || metadata.status === 'tombstoned') return 'tombstoned';
  if (metadata.status === 'object' && metadata.entries.get('$tb') === SOFT_DELETE_TB) return 'soft-deleted';
  return cursor.hasEvents ? 'events' : 'no-events';
}

function describeState(state: DeletedState): string {
  switch (state) {
    case 'tombstoned':
      return 'is tombstoned (hard-deleted)';
    case 'soft-deleted':
      return 'is soft-deleted ($tb = long.MaxValue)';
    case 'no-events':
      return 'has no readable events';
    case 'events':
      return 'has events';
  }
}

function compareStreamMetadata(origin: StreamMetadataView, destination: StreamMetadataView): string | undefined {
  const o =
    origin.status === 'none' ? new Map<string, string>() : origin.status === 'object' ? origin.entries : undefined;
  const d =
    destination.status === 'none'
      ? new Map<string, string>()
      : destination.status === 'object'
        ? destination.entries
        : undefined;
  if (o && d) return describeObjectDifference(o, d, NO_KEYS);
  if (origin.status === 'invalid' && destination.status === 'invalid') {
    const diff = describeByteDifference(origin.bytes, destination.bytes);
    return diff === undefined ? undefined : `invalid metadata JSON on both sides, ${diff}`;
  }
  return `origin metadata ${metadataStatus(origin)}, destination metadata ${metadataStatus(destination)}`;
}

function metadataStatus(view: StreamMetadataView): string {
  switch (view.status) {
    case 'none':
      return 'absent';
    case 'tombstoned':
      return 'tombstoned';
    case 'object':
      return 'is a JSON object';
    case 'invalid':
      return 'is not a JSON object';
  }
}

async function compareEventSequences(
  ctx: StreamComparisonContext,
  stream: string,
  origin: StreamCursor,
  destination: StreamCursor,
  differences: Difference[],
): Promise<number> {
  let compared = 0;
  for (;;) {
    ctx.signal?.throwIfAborted();
    const [o, d] = await Promise.all([origin.next(), destination.next()]);
    if (!o && !d) return compared;
    if (!o || !d) {
      const longer = o ? origin : destination;
      let extra = 1;
      while (await longer.next()) {
        ctx.signal?.throwIfAborted();
        extra++;
      }
      const originCount = compared + (o ? extra : 0);
      const destinationCount = compared + (d ? extra : 0);
      differences.push({
        stream,
        kind: 'event-count',
        revision: (o ?? d)!.revision,
        detail:
          `origin has ${originCount} events, destination has ${destinationCount}; ` +
          `first event only in the ${o ? 'origin' : 'destination'}: revision ${(o ?? d)!.revision}`,
      });
      return compared;
    }
    compared++;
    const mismatch = compareEvents(o, d, ctx.ignoreAnnotations, ctx.selectOriginEvent === undefined);
    if (mismatch) {
      differences.push({ stream, kind: mismatch.kind, revision: o.revision, detail: mismatch.detail });
      return compared;
    }
  }
}
