import { EventStoreDBClient, type Position } from '@eventstore/db-client';
import { subscribeRawToAll, type RawAllSubscription } from '../../client/raw-all-subscription.js';
import { withReceiveWindow } from '../../client/receive-window.js';
import { LinkerError } from '../../shared/errors.js';
import type { OriginEventFields } from './origin-event.js';

export interface ReaderHandlers {
  /** Called in `$all` order for every event the server lets through. */
  onEvent(event: OriginEventFields): void;
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
  /** The running subscription went silent: the next run must use a new connection. */
  replaceConnection(reason: string): void;
}

/**
 * One hand-decoded `$all` subscription (`subscribeRawToAll`) with the link's server-side stream filter, in
 * this thread. Pausing it stops delivery at once and, with grpc-js's buffer full, reading from the server,
 * so a full link buffer pauses reading at the server. Its handlers run in stream order, so a checkpoint
 * always comes after every event before it.
 */
export class SubscriptionReader implements OriginReader {
  private subscription: RawAllSubscription | undefined;
  private paused = false;

  /**
   * `origin`: a client to share, or a connection string: then each run connects with a client of its own
   * (with a larger receive window, see `withReceiveWindow`), disposed when the run ends, so the subscription
   * never shares a connection with the process's other reads and writes on that node, and a resubscription
   * after a silent connection always starts on a new one.
   */
  constructor(
    private readonly origin: EventStoreDBClient | { connectionString: string },
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

  replaceConnection(reason: string): void {
    this.subscription?.abandonConnection(reason);
  }

  /** Runs one subscription from `from` (exclusive) until the signal aborts (resolves) or it breaks (rejects). */
  async run(from: Position | null, handlers: ReaderHandlers, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    let sub: RawAllSubscription | undefined;
    const own =
      'connectionString' in this.origin
        ? withReceiveWindow(EventStoreDBClient.connectionString(this.origin.connectionString))
        : undefined;
    const client = own ?? (this.origin as EventStoreDBClient);
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        const stop = (err: unknown): void => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) resolve();
          else reject(err);
        };
        sub = subscribeRawToAll(
          client,
          {
            from: from ?? 'start',
            filter: { on: 'stream-name', regex: this.serverStreamRegex, checkpointInterval: 1 },
          },
          {
            onEvent: (event) => {
              if (!signal.aborted) handlers.onEvent(event);
            },
            onCheckpoint: (position) => {
              if (!signal.aborted) handlers.onCheckpoint(position);
            },
            onCaughtUp: () => {
              if (!signal.aborted) handlers.onCaughtUp();
            },
            onError: stop,
            onEnd: () =>
              stop(new LinkerError('ESDBL_LINK_SUBSCRIPTION_ENDED', 'the origin ended the $all subscription')),
          },
        );
        this.subscription = sub;
        if (this.paused) sub.pause();
      });
    } finally {
      this.subscription = undefined;
      await sub?.unsubscribe().catch(() => {});
      await own?.dispose().catch(() => {});
    }
  }
}
