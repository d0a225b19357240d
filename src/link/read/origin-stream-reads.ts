import {
  BACKWARDS,
  END,
  StreamDeletedError,
  StreamNotFoundError,
  type AllStreamRecordedEvent,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import { readWithin } from '../../client/bounded-read.js';

/**
 * The writer's questions to the origin about one stream, outside the `$all` subscription: is it tombstoned
 * (a destination append met a deleted stream), and what is its current `$$` metadata (a filtered stream was
 * just created on the destination). Each is one bounded read (`readWithin`): an origin connection gone
 * silent fails it with `ESDBL_CLIENT_READ_TIMEOUT` instead of holding the lane forever.
 */
export class OriginStreamReads {
  constructor(
    private readonly client: EventStoreDBClient,
    private readonly timeoutMs: number,
  ) {}

  async tombstoned(stream: string): Promise<boolean> {
    try {
      await readWithin(
        this.client,
        stream,
        { maxCount: 1 },
        this.timeoutMs,
        `a read of ${stream} on the origin`,
        () => {},
      );
      return false;
    } catch (err) {
      if (err instanceof StreamDeletedError) return true;
      if (err instanceof StreamNotFoundError) return false;
      throw err;
    }
  }

  /** The last event of `$$stream`, or undefined when the stream has no metadata (or is deleted). */
  async latestMetadata(stream: string): Promise<AllStreamRecordedEvent | undefined> {
    const metastream = `$$${stream}`;
    let latest: AllStreamRecordedEvent | undefined;
    try {
      await readWithin(
        this.client,
        metastream,
        { direction: BACKWARDS, fromRevision: END, maxCount: 1 },
        this.timeoutMs,
        `a read of ${metastream} on the origin`,
        (resolved) => {
          latest = resolved.event as AllStreamRecordedEvent | undefined;
        },
      );
    } catch (err) {
      if (err instanceof StreamNotFoundError || err instanceof StreamDeletedError) return undefined;
      throw err;
    }
    return latest;
  }
}
