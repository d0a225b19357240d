import { EMPTY_METADATA, parseStreamMetadata, type StreamMetadata } from './stream-metadata.js';
import type { EventRecord } from './types.js';

/** Per-stream state: events by revision (revisions are dense from 0), plus the tombstone when hard-deleted. */
export class StreamEntry {
  readonly events: EventRecord[] = [];
  tombstone: EventRecord | undefined;
  private metadataCache: StreamMetadata | undefined;

  constructor(readonly streamId: string) {}

  get lastRevision(): bigint {
    return BigInt(this.events.length - 1);
  }

  push(record: EventRecord): void {
    this.events.push(record);
    this.metadataCache = undefined;
  }

  at(revision: bigint): EventRecord | undefined {
    if (revision < 0n || revision >= BigInt(this.events.length)) return undefined;
    return this.events[Number(revision)];
  }

  /** For a metastream: the metadata its latest event describes (empty when none or malformed). */
  parsedMetadata(): StreamMetadata {
    if (this.metadataCache === undefined) {
      const last = this.events[this.events.length - 1];
      this.metadataCache = last === undefined ? EMPTY_METADATA : parseStreamMetadata(last.data);
    }
    return this.metadataCache;
  }
}

export function isMetastream(streamId: string): boolean {
  return streamId.startsWith('$$');
}

export function metastreamOf(streamId: string): string {
  return `$$${streamId}`;
}

export function baseStreamOf(metastreamId: string): string {
  return metastreamId.slice(2);
}
