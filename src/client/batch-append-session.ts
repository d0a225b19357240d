import {
  DeadlineExceededError,
  UnavailableError,
  UnknownError,
  convertToCommandError,
  type Position,
} from '@eventstore/db-client';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { errorMessage } from '../shared/errors.js';
import { appendFailureError } from './append-errors.js';
import { decodeBatchAppendResp } from './wire/append-codec.js';
import { drained } from './stream-drain.js';

export interface AppendResult {
  /** Revision of the stream's last event (the expected revision of the next append). */
  nextExpectedRevision: bigint;
  position?: Position;
}

interface PendingAppend {
  stream: string;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout | undefined;
}

/** Extra wait past an append's deadline before it is given up locally (the server answers Timeout at the deadline). */
export const LOCAL_TIMEOUT_GRACE_MS = 5_000;
/** setTimeout's largest delay (a longer one fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One BatchAppend call (a long-lived bidi stream) and the appends in flight on it, matched by correlation id.
 *
 * Why its own pending map: the stock client keeps one map for every BatchAppend stream of the process, so a
 * failure on one node's stream rejects (and redirects) the appends of every other node, and a late answer
 * throws inside a `data` handler (see classic-append.ts). Here a stream's failure rejects only its own
 * appends, with the client's converted error; answers with an unknown correlation id (late, after a local
 * timeout) are ignored. An append left unanswered well past its deadline gives the whole stream up. Reconnection
 * after not-leader or unavailable is the client's: the stream is created
 * through its `GRPCStreamCreator`, whose finished handler runs `handleError` and forgets the stream.
 */
export class BatchAppendSession {
  private readonly pending = new Map<string, PendingAppend>();
  private failure: Error | undefined;
  private drainWait: Promise<void> | undefined;

  constructor(
    private readonly call: ClientDuplexStream<Buffer, Buffer>,
    private readonly timeoutGraceMs = LOCAL_TIMEOUT_GRACE_MS,
    /** Called once when the stream is given up for silence: its connection is suspect (see `StreamsRpc.replaceChannel`). */
    private readonly onSilent: (reason: string) => void = () => {},
  ) {
    call.on('data', (response: Buffer) => this.onResponse(response));
    call.on('error', (err: Error) => this.close(convertToCommandError(err)));
    call.on('end', () => {
      this.close(new UnavailableError(undefined, 'the server ended the BatchAppend stream'));
      // Half-close too, so the call finishes and the client forgets it: the next append opens a new stream.
      call.end();
    });
    call.on('close', () => this.close(new UnavailableError(undefined, 'the BatchAppend stream closed')));
  }

  /** Appends in flight on this stream (for tests and diagnostics). */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Writes the chunks of one append (correlation id `id`) and resolves with the server's answer. Chunks are
   * written with back-pressure; several appends may interleave their chunks, which the protocol allows.
   * `deadline` is the one inside the request: without an answer shortly after it, the append is given up.
   */
  append(id: string, stream: string, chunks: readonly Buffer[], deadline: Date): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const entry: PendingAppend = { stream, resolve, reject, timer: undefined };
      const wait = Math.max(0, deadline.getTime() - Date.now()) + this.timeoutGraceMs;
      if (wait <= MAX_TIMER_MS) {
        entry.timer = setTimeout(() => {
          if (this.pending.get(id) !== entry) return;
          // The server answers Timeout at the deadline itself: silence long after it means this stream no
          // longer answers. Give it up, with every append on it (all retried), so the next append opens a
          // new stream instead of waiting on this one forever.
          const reason = `no BatchAppend answer for ${stream} within ${wait} ms`;
          this.close(new DeadlineExceededError(undefined, reason));
          this.call.cancel();
          // Our own cancel() does not make the client reconnect (it only does so after UNAVAILABLE or a
          // server's CANCELLED), and a connection that went silent would carry the retry too.
          this.onSilent(reason);
        }, wait);
        entry.timer.unref();
      }
      this.pending.set(id, entry);
      void this.write(id, entry, chunks);
    });
  }

  private async write(id: string, entry: PendingAppend, chunks: readonly Buffer[]): Promise<void> {
    for (const chunk of chunks) {
      while (this.drainWait) await this.drainWait;
      // Rejected meanwhile (stream failed, local timeout): the rest of this append is not sent.
      if (this.failure || this.pending.get(id) !== entry) return;
      let ok: boolean;
      try {
        ok = this.call.write(chunk);
      } catch (err) {
        this.close(convertToCommandError(err instanceof Error ? err : new Error(String(err))));
        return;
      }
      if (!ok) {
        const wait: Promise<void> = drained(this.call).then(() => {
          if (this.drainWait === wait) this.drainWait = undefined;
        });
        this.drainWait = wait;
      }
    }
  }

  private onResponse(buf: Buffer): void {
    let response;
    try {
      response = decodeBatchAppendResp(buf);
    } catch (err) {
      // No way to tell whose answer it was: fail this stream's appends (retried) and drop the stream.
      this.close(new UnknownError(undefined, `undecodable BatchAppend response: ${errorMessage(err)}`));
      this.call.cancel();
      return;
    }
    const id = response.correlationId;
    const entry = id === undefined ? undefined : this.pending.get(id);
    if (!entry || id === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    const outcome = response.outcome;
    if (outcome.kind === 'success') {
      entry.resolve({ nextExpectedRevision: outcome.currentRevision, position: outcome.position });
    } else {
      entry.reject(appendFailureError(outcome, response.streamName ?? entry.stream));
    }
  }

  private close(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(err);
    }
  }
}
