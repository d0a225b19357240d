import type { Position } from '@eventstore/db-client';
import { copyDecision, parseMetadata } from '../filter/annotations.js';
import type { OriginEventFields } from '../read/origin-event.js';
import type { CompiledFilter } from '../filter/event-filter.js';
import type { ResolvedLinkOptions } from '../link-options.js';
import { EVENT_OVERHEAD_BYTES, type WorkItem } from './work-item.js';

/** `item.ticket` is 0 until the link gives the item its watermark ticket. */
export type RouteDecision = { copy: true; item: WorkItem } | { copy: false; reason: string };

/**
 * Turns an origin event into the write it needs (or the reason it needs none): filters, loop prevention,
 * annotations, destination stream name (with the fan-in prefix) and lane key. A stream and its `$$`
 * metastream share a lane, because a delete/undelete must stay ordered with the stream's events.
 */
export class EventRouter {
  private readonly nodes: { origin: string; destination: string };

  constructor(
    private readonly options: ResolvedLinkOptions,
    private readonly filter: CompiledFilter,
  ) {
    this.nodes = { origin: options.origin, destination: options.destination };
  }

  route(event: OriginEventFields, position: Position): RouteDecision {
    const cls = this.filter.classify(event.streamId, event.type, event.revision);
    if (!cls.copy) return { copy: false, reason: cls.reason };
    let metadata = event.metadata;
    if (cls.kind !== 'tombstone') {
      // One parse per event serves the event filters, loop prevention and the annotations.
      const parsed = parseMetadata(event.metadata);
      if (cls.kind === 'event' && !this.filter.selectEvent(parsed)) return { copy: false, reason: 'filtered' };
      const decision = copyDecision(
        event.metadata,
        this.nodes,
        this.options.annotate
          ? {
              originNode: this.options.origin,
              streamId: event.streamId,
              revision: event.revision,
              createdMs: event.createdMs,
            }
          : undefined,
        parsed,
      );
      if (!decision.copy) return { copy: false, reason: decision.reason };
      metadata = decision.metadata;
    }
    const prefix = this.options.streamPrefix;
    const destBase = prefix + cls.baseStream;
    const destStream = cls.kind === 'metadata' ? `$$${destBase}` : destBase;
    return {
      copy: true,
      item: {
        ticket: 0,
        kind: cls.kind === 'tombstone' ? 'tombstone' : 'append',
        eventKind: cls.kind,
        laneKey: this.options.ordering === 'global' ? '*' : destBase,
        originStream: event.streamId,
        destStream,
        revision: event.revision,
        position,
        id: event.id,
        type: event.type,
        contentType: event.isJson ? 'application/json' : 'application/octet-stream',
        data: event.data,
        originalMetadata: event.metadata,
        metadata,
        createdMs: event.createdMs,
        followsStream: cls.kind !== 'event' && this.filter.selectsEvents,
        unmarked: this.options.annotate && cls.kind !== 'tombstone' && metadata === event.metadata,
        bytes: event.data.length + metadata.length + event.type.length + EVENT_OVERHEAD_BYTES,
      },
    };
  }
}
