import {
  BACKWARDS,
  END,
  ANY,
  StreamNotFoundError,
  type EventStoreDBClient,
  type Position,
} from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { tagAccessAttempt } from '../recovery/access-errors.js';
import { LinkerError } from '../../shared/errors.js';
import {
  CHECKPOINT_EVENT_TYPE,
  CHECKPOINT_STREAM_MAX_COUNT,
  checkpointStreamName,
  type CheckpointData,
} from '../bookkeeping.js';
import { METADATA_EVENT_TYPE } from '../filter/event-filter.js';
import { readWithin } from '../../client/bounded-read.js';
import { RawAppender } from '../../client/raw-appender.js';
import { rawBytesOf, type RawEventInput } from '../../client/raw-bytes.js';

/**
 * A link's checkpoint lives in the destination (`$linker-checkpoint-<link>`), so the daemon is stateless.
 * The stream keeps the last few checkpoints (`$maxCount`), set once per process before the first write.
 * Writes go through `appender` (the link's, with the destination's credentials; by default one of its own).
 */
export class CheckpointStore {
  readonly streamName: string;
  private metadataSet = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly linkName: string,
    private readonly now: () => number,
    private readonly appender: RawAppender = new RawAppender(client),
    /** How long the read may go unanswered before it is retried on a new connection. */
    private readonly readTimeoutMs = 30_000,
  ) {
    this.streamName = checkpointStreamName(linkName);
  }

  async read(): Promise<Position | null> {
    try {
      let last: Uint8Array | undefined;
      await readWithin(
        this.client,
        this.streamName,
        { direction: BACKWARDS, fromRevision: END, maxCount: 1 },
        this.readTimeoutMs,
        `the checkpoint read (${this.streamName})`,
        (resolved) => {
          if (resolved.event) last = rawBytesOf(resolved.event).data;
        },
      );
      return last ? parseCheckpoint(last, this.streamName) : null;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return null;
      throw tagAccessAttempt(err, { side: 'destination', action: 'read', stream: this.streamName });
    }
  }

  async write(position: Position): Promise<void> {
    if (!this.metadataSet) {
      // What `setStreamMetadata(stream, { maxCount })` writes, through the appender like every link write.
      try {
        await this.appender.append(
          `$$${this.streamName}`,
          [jsonEvent(METADATA_EVENT_TYPE, { $maxCount: CHECKPOINT_STREAM_MAX_COUNT })],
          { expectedRevision: ANY },
        );
      } catch (err) {
        throw tagAccessAttempt(err, { side: 'destination', action: 'write metadata of', stream: this.streamName });
      }
      this.metadataSet = true;
    }
    const data: CheckpointData = {
      link: this.linkName,
      commit: position.commit.toString(),
      prepare: position.prepare.toString(),
      at: new Date(this.now()).toISOString(),
    };
    try {
      await this.appender.append(this.streamName, [jsonEvent(CHECKPOINT_EVENT_TYPE, data)], {
        expectedRevision: ANY,
      });
    } catch (err) {
      throw tagAccessAttempt(err, { side: 'destination', action: 'write', stream: this.streamName });
    }
  }
}

function jsonEvent(type: string, data: object): RawEventInput {
  return { id: randomUUID(), type, contentType: 'application/json', data: Buffer.from(JSON.stringify(data), 'utf8') };
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
