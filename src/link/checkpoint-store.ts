import {
  BACKWARDS,
  END,
  ANY,
  StreamNotFoundError,
  type EventStoreDBClient,
  type Position,
} from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { LinkerError } from '../shared/errors.js';
import {
  CHECKPOINT_EVENT_TYPE,
  CHECKPOINT_STREAM_MAX_COUNT,
  checkpointStreamName,
  type CheckpointData,
} from './bookkeeping.js';
import { rawBytesOf, rawEvent } from '../client/raw-bytes.js';

/**
 * A link's checkpoint lives in the destination (`$linker-checkpoint-<link>`), so the daemon is stateless.
 * The stream keeps the last few checkpoints (`$maxCount`), set once per process before the first write.
 */
export class CheckpointStore {
  readonly streamName: string;
  private metadataSet = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly linkName: string,
    private readonly now: () => number,
    private readonly writeOptions: { credentials?: { username: string; password: string } } = {},
  ) {
    this.streamName = checkpointStreamName(linkName);
  }

  async read(): Promise<Position | null> {
    try {
      // Read to the end (maxCount 1) instead of returning from the loop: a read cancelled early keeps the
      // v6 client's dispose() waiting forever.
      let last: Uint8Array | undefined;
      for await (const resolved of this.client.readStream(this.streamName, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        if (resolved.event) last = rawBytesOf(resolved.event).data;
      }
      return last ? parseCheckpoint(last, this.streamName) : null;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return null;
      throw err;
    }
  }

  async write(position: Position): Promise<void> {
    if (!this.metadataSet) {
      await this.client.setStreamMetadata(
        this.streamName,
        { maxCount: CHECKPOINT_STREAM_MAX_COUNT },
        { ...this.writeOptions },
      );
      this.metadataSet = true;
    }
    const data: CheckpointData = {
      link: this.linkName,
      commit: position.commit.toString(),
      prepare: position.prepare.toString(),
      at: new Date(this.now()).toISOString(),
    };
    await this.client.appendToStream(
      this.streamName,
      rawEvent({
        id: randomUUID(),
        type: CHECKPOINT_EVENT_TYPE,
        contentType: 'application/json',
        data: new TextEncoder().encode(JSON.stringify(data)),
      }),
      { expectedRevision: ANY, ...this.writeOptions },
    );
  }
}

export function parseCheckpoint(bytes: Uint8Array, streamName: string): Position {
  let data: Partial<CheckpointData>;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes)) as Partial<CheckpointData>;
  } catch (err) {
    throw new LinkerError('ESDBL_LINK_CHECKPOINT_INVALID', `checkpoint in ${streamName} is not JSON`, { cause: err });
  }
  if (
    typeof data.commit !== 'string' ||
    typeof data.prepare !== 'string' ||
    !/^\d+$/.test(data.commit) ||
    !/^\d+$/.test(data.prepare)
  ) {
    throw new LinkerError(
      'ESDBL_LINK_CHECKPOINT_INVALID',
      `checkpoint in ${streamName} lacks decimal "commit"/"prepare" strings`,
      { details: { streamName } },
    );
  }
  return { commit: BigInt(data.commit), prepare: BigInt(data.prepare) };
}
