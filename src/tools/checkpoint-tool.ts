import { BACKWARDS, END, StreamNotFoundError, type EventStoreDBClient, type Position } from '@eventstore/db-client';
import { rawBytesOf } from '../client/raw-bytes.js';
import { checkpointStreamName } from '../link/bookkeeping.js';
import { CheckpointStore, parseCheckpoint } from '../link/checkpoint/checkpoint-store.js';
import type { Clock } from '../shared/clock.js';
import { isLinkerError } from '../shared/errors.js';
import { nodeFailure } from './node-failure.js';
import { formatPosition } from './position-arg.js';

/** The latest checkpoint event of a link, as `checkpoint show` prints it. */
export interface CheckpointRecord {
  position: Position;
  /** The `at` the daemon wrote into the checkpoint (ISO time), when present. */
  at: string | undefined;
  /** When the destination stored the event. */
  storedAt: Date;
  revision: bigint;
  eventId: string;
}

/**
 * Reads and writes a link's checkpoint stream in its destination for the `checkpoint` command. Writes go
 * through the daemon's own CheckpointStore, so the format is the one the daemon reads.
 */
export class CheckpointTool {
  readonly streamName: string;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly linkName: string,
    private readonly destinationNode: string,
    private readonly clock: Clock,
  ) {
    this.streamName = checkpointStreamName(linkName);
  }

  async read(): Promise<CheckpointRecord | null> {
    try {
      for await (const resolved of this.client.readStream(this.streamName, {
        direction: BACKWARDS,
        fromRevision: END,
        maxCount: 1,
      })) {
        const event = resolved.event;
        if (!event) continue;
        const bytes = rawBytesOf(event).data;
        const position = parseCheckpoint(bytes, this.streamName);
        return { position, at: atOf(bytes), storedAt: event.created, revision: event.revision, eventId: event.id };
      }
      return null;
    } catch (err) {
      if (err instanceof StreamNotFoundError) return null;
      throw nodeFailure(this.destinationNode, `reading ${this.streamName}`, err);
    }
  }

  /**
   * Writes `position` and answers what it replaced: the old record (null if none or damaged) and a line
   * describing it. Replacing a damaged checkpoint is one of the reasons to set one.
   */
  async replace(position: Position): Promise<{ before: CheckpointRecord | null; was: string }> {
    let before: CheckpointRecord | null = null;
    let was = 'no checkpoint';
    try {
      before = await this.read();
      if (before) was = formatPosition(before.position);
    } catch (err) {
      if (!isLinkerError(err, 'ESDBL_LINK_CHECKPOINT_INVALID')) throw err;
      was = `an invalid checkpoint: ${err.message}`;
    }
    await this.write(position);
    return { before, was };
  }

  async write(position: Position): Promise<void> {
    const store = new CheckpointStore(this.client, this.linkName, () => this.clock.now());
    try {
      await store.write(position);
    } catch (err) {
      throw nodeFailure(this.destinationNode, `writing ${this.streamName}`, err);
    }
  }
}

function atOf(bytes: Uint8Array): string | undefined {
  try {
    const data = JSON.parse(new TextDecoder().decode(bytes)) as { at?: unknown };
    return typeof data.at === 'string' ? data.at : undefined;
  } catch {
    return undefined;
  }
}
