import type { LogColumns } from './log-columns.js';
import { EMPTY_METADATA, parseStreamMetadata, type StreamMetadata } from './stream-metadata.js';
import type { EventRecord } from './types.js';

/**
 * Per-stream state: the log index of each revision (revisions are dense from 0; small integers, which the
 * GC does not trace), plus the tombstone when hard-deleted.
 */
export class StreamEntry {
  private readonly indices: number[] = [];
  tombstone: EventRecord | undefined;
  private metadataCache: StreamMetadata | undefined;

  constructor(
    readonly streamId: string,
    private readonly log: LogColumns,
  ) {}

  /** Number of events (revisions 0 .. count - 1). */
  get count(): number {
    return this.indices.length;
  }

  get lastRevision(): bigint {
    return BigInt(this.indices.length - 1);
  }

  push(logIndex: number): void {
    this.indices.push(logIndex);
    this.metadataCache = undefined;
  }

  at(revision: bigint): EventRecord | undefined {
    if (revision < 0n || revision >= BigInt(this.indices.length)) return undefined;
    return this.recordAt(Number(revision));
  }

  /** The event at a revision given as a number (undefined when out of range). */
  recordAt(revision: number): EventRecord | undefined {
    const index = this.indices[revision];
    return index === undefined ? undefined : this.log.at(index);
  }

  last(): EventRecord | undefined {
    return this.recordAt(this.indices.length - 1);
  }

  eventIdAt(revision: bigint): string | undefined {
    if (revision < 0n || revision >= BigInt(this.indices.length)) return undefined;
    return this.log.eventIdAt(this.indices[Number(revision)] as number);
  }

  positionAt(revision: bigint): number | undefined {
    if (revision < 0n || revision >= BigInt(this.indices.length)) return undefined;
    return this.log.positionAt(this.indices[Number(revision)] as number);
  }

  /** For a metastream: the metadata its latest event describes (empty when none or malformed). */
  parsedMetadata(): StreamMetadata {
    if (this.metadataCache === undefined) {
      const last = this.indices[this.indices.length - 1];
      this.metadataCache = last === undefined ? EMPTY_METADATA : parseStreamMetadata(this.log.dataAt(last));
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
