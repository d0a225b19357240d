import {
  START,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
  type Position,
} from '@eventstore/db-client';
import { LinkerError } from '../shared/errors.js';

export interface ReaderHandlers {
  /** Called in `$all` order for every event the server lets through. */
  onEvent(event: AllStreamResolvedEvent): void;
  /** A filtered-out stretch ends at this position; every event before it was delivered to `onEvent`. */
  onCheckpoint(position: Position): void;
  onCaughtUp(): void;
}

/** What a link reads its origin with: in this thread (`SubscriptionReader`) or a worker thread. */
export interface OriginReader {
  pause(): void;
  resume(): void;
  readonly isPaused: boolean;
  /** Runs one subscription from `from` (exclusive) until the signal aborts (resolves) or it breaks (rejects). */
  run(from: Position | null, handlers: ReaderHandlers, signal: AbortSignal): Promise<void>;
}

/**
 * One `subscribeToAll` with the link's server-side stream filter, consumed in flowing mode so the reader
 * can pause it: a paused subscription stops pulling from gRPC (the client's Transform and grpc-js flow
 * control), so a full link buffer pauses reading at the server.
 */
export class SubscriptionReader implements OriginReader {
  private subscription: AllStreamSubscription | undefined;
  private paused = false;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly serverStreamRegex: string,
  ) {}

  pause(): void {
    this.paused = true;
    this.subscription?.pause();
  }

  resume(): void {
    this.paused = false;
    this.subscription?.resume();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Runs one subscription from `from` (exclusive) until the signal aborts (resolves) or it breaks (rejects). */
  async run(from: Position | null, handlers: ReaderHandlers, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const holder: { sub?: AllStreamSubscription } = {};
    const drained = async (): Promise<void> => {
      // Events before a checkpoint may still sit in the subscription's readable buffer (paused): the
      // checkpoint only counts once they have reached onEvent.
      while (holder.sub && holder.sub.readableLength > 0 && !signal.aborted) {
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const sub = this.client.subscribeToAll({
      fromPosition: from ?? START,
      resolveLinkTos: false,
      filter: streamNameFilter({
        regex: this.serverStreamRegex,
        checkpointInterval: 1,
        checkpointReached: async (_s, position) => {
          await drained();
          if (!signal.aborted) handlers.onCheckpoint(position);
        },
      }),
    });
    holder.sub = sub;
    this.subscription = sub;
    if (this.paused) sub.pause();
    const current = sub;
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        current.on('data', (e: AllStreamResolvedEvent) => {
          if (!signal.aborted) handlers.onEvent(e);
        });
        current.on('caughtUp', () => {
          if (!signal.aborted) handlers.onCaughtUp();
        });
        current.on('error', (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        });
        current.on('end', () => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) resolve();
          else reject(new LinkerError('ESDBL_LINK_SUBSCRIPTION_ENDED', 'the origin ended the $all subscription'));
        });
      });
    } finally {
      this.subscription = undefined;
      await current.unsubscribe().catch(() => {});
    }
  }
}
