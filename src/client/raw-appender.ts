import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import {
  DeadlineExceededError,
  UnknownError,
  convertToCommandError,
  type AppendExpectedRevision,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { LinkerError, errorMessage } from '../shared/errors.js';
import { appendFailureError } from './append-errors.js';
import { BatchAppendSession, LOCAL_TIMEOUT_GRACE_MS, type AppendResult } from './batch-append-session.js';
import type { RawEventInput } from './raw-bytes.js';
import { drained } from './stream-drain.js';
import {
  DEFAULT_BATCH_APPEND_SIZE,
  decodeAppendResp,
  encodeAppendRequests,
  encodeBatchAppendRequests,
} from './wire/append-codec.js';
import { BATCH_APPEND_METHOD, streamsRpcOf, type RawStreamsGrpc, type StreamsRpc } from './wire/streams-rpc.js';

export type { AppendResult } from './batch-append-session.js';

export interface RawAppenderOptions {
  /** Sent with every append (ignored by the client on insecure connections). */
  credentials?: { username: string; password: string };
  /** BatchAppend chunk size. @defaultValue 3 MiB, the stock client's `batchAppendSize` */
  batchAppendSize?: number;
  /** Told when an append got no answer in time and the client's channel was replaced (for logs and metrics). */
  onChannelReplaced?: (reason: string) => void;
}

export interface RawAppendOptions {
  expectedRevision: AppendExpectedRevision;
  /** Deadline of the append in ms; absent: the client's default deadline. */
  deadlineMs?: number;
}

/**
 * Appends events with their data and metadata bytes exactly as given, through the connection of one
 * `@eventstore/db-client` client, with hand-encoded requests (`wire/append-codec.ts`) instead of the
 * client's google-protobuf ones. One instance per destination client and credentials.
 *
 * Uses BatchAppend when the server advertises it (one long-lived stream per connection, with a pending map
 * of its own: `batch-append-session.ts`), else the classic Append RPC, one call per append. Errors are the
 * client's own classes (WrongExpectedVersionError with the real `actualVersion`, StreamDeletedError,
 * MaxAppendSizeExceededError, AccessDeniedError, DeadlineExceededError, UnknownError, and gRPC errors
 * converted by `convertToCommandError`), and they pass through the client's error handling, so not-leader
 * and unavailable answers make it reconnect as they do for its own appends.
 */
export class RawAppender {
  private readonly rpc: StreamsRpc;
  private readonly credentials: { username: string; password: string } | undefined;
  private readonly batchAppendSize: number;
  /** BatchAppend streams by grpc client (one per connection), managed by the client's GRPCStreamCreator. */
  private readonly streams = new WeakMap<object, Promise<ClientDuplexStream<Buffer, Buffer>>>();
  private readonly sessions = new WeakMap<object, BatchAppendSession>();
  /** The BatchAppend streams this appender opened and that are still open, for `close()`. */
  private readonly open = new Set<ClientDuplexStream<Buffer, Buffer>>();
  private sent = 0;
  private readonly onChannelReplaced: (reason: string) => void;

  constructor(client: EventStoreDBClient, options: RawAppenderOptions = {}) {
    this.rpc = streamsRpcOf(client);
    this.credentials = options.credentials;
    this.batchAppendSize = options.batchAppendSize ?? DEFAULT_BATCH_APPEND_SIZE;
    this.onChannelReplaced = options.onChannelReplaced ?? (() => {});
  }

  /** Appends under way (being sent or waiting for their answer). */
  get inFlight(): number {
    return this.sent;
  }

  async append(stream: string, events: readonly RawEventInput[], options: RawAppendOptions): Promise<AppendResult> {
    if (await this.rpc.supports(BATCH_APPEND_METHOD)) return this.batchAppend(stream, events, options);
    return this.classicAppend(stream, events, options);
  }

  private async batchAppend(
    stream: string,
    events: readonly RawEventInput[],
    options: RawAppendOptions,
  ): Promise<AppendResult> {
    const call = await this.rpc.stream('appendToStream', (grpc) => this.openStream(grpc), this.streams);
    const session = this.sessions.get(call);
    if (!session) {
      throw new LinkerError(
        'ESDBL_CLIENT_INCOMPATIBLE',
        '@eventstore/db-client internals changed (GRPCStreamCreator returned a stream it did not create); esdb-linker needs version 6.2.1',
      );
    }
    const correlationId = randomUUID();
    const deadline = this.rpc.createDeadline(options.deadlineMs);
    const chunks = encodeBatchAppendRequests({
      correlationId,
      stream,
      expected: options.expectedRevision,
      deadline,
      events,
      maxChunkBytes: this.batchAppendSize,
    });
    this.sent++;
    try {
      return await session.append(correlationId, stream, chunks, deadline);
    } finally {
      this.sent--;
    }
  }

  /**
   * Half-closes every BatchAppend stream this appender opened: appends already sent still get their answers,
   * then the server ends the stream and the client forgets it. For the end of the appender's owner (a stopped
   * link): the client is shared, and a stream left open would outlive its owner on the connection (one more
   * HTTP/2 stream per restart, of the server's limited number) and keep the owner in memory, since grpc-js
   * keeps the stack of whoever opened a call. An append after `close()` opens a new stream.
   */
  close(): void {
    for (const call of this.open) if (!call.destroyed && !call.writableEnded) call.end();
    this.open.clear();
  }

  private openStream(grpc: RawStreamsGrpc): ClientDuplexStream<Buffer, Buffer> {
    // The stream lives as long as the connection; each append carries its own deadline inside the request.
    const call = grpc.batchAppend(...this.rpc.callArguments(this.callSettings(), { deadline: Infinity }));
    this.open.add(call);
    call.once('close', () => this.open.delete(call));
    this.sessions.set(
      call,
      new BatchAppendSession(call, LOCAL_TIMEOUT_GRACE_MS, (reason) => this.silent(grpc, reason)),
    );
    return call;
  }

  /** An append got no answer in time: the connection under it is suspect, so the next append gets a new one. */
  private silent(grpc: RawStreamsGrpc, reason: string): void {
    this.rpc.replaceChannel(grpc, reason);
    this.onChannelReplaced(reason);
  }

  private classicAppend(
    stream: string,
    events: readonly RawEventInput[],
    options: RawAppendOptions,
  ): Promise<AppendResult> {
    const messages = encodeAppendRequests(stream, options.expectedRevision, events);
    return this.rpc.execute('appendToStream', async (grpc) => {
      this.sent++;
      try {
        return await this.classicCall(grpc, stream, messages, options.deadlineMs);
      } finally {
        this.sent--;
      }
    });
  }

  private classicCall(
    grpc: RawStreamsGrpc,
    stream: string,
    messages: readonly Buffer[],
    deadlineMs: number | undefined,
  ): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      const settings = { ...this.callSettings(), deadline: deadlineMs };
      const call = grpc.append(...this.rpc.callArguments(settings), (error, response) => {
        if (error) {
          const converted = convertToCommandError(error);
          if (converted instanceof DeadlineExceededError) {
            this.silent(grpc, `no Append answer for ${stream} within ${deadlineMs ?? 'the default'} ms`);
          }
          return reject(converted);
        }
        if (!response) return reject(new UnknownError(undefined, 'Append answered without a response'));
        let outcome;
        try {
          outcome = decodeAppendResp(response);
        } catch (err) {
          return reject(new UnknownError(undefined, `undecodable Append response: ${errorMessage(err)}`));
        }
        if (outcome.kind === 'success') {
          return resolve({ nextExpectedRevision: outcome.currentRevision, position: outcome.position });
        }
        reject(appendFailureError(outcome, stream));
      });
      call.on('error', (err: Error) => reject(convertToCommandError(err)));
      void writeAll(call, messages);
    });
  }

  private callSettings(): { credentials?: { username: string; password: string } } {
    return this.credentials ? { credentials: this.credentials } : {};
  }
}

/** Writes every message with back-pressure, then half-closes; stops if the call ends meanwhile. */
async function writeAll(call: Writable, messages: readonly Buffer[]): Promise<void> {
  for (const message of messages) {
    if (call.destroyed || call.writableEnded) return;
    if (!call.write(message)) await drained(call);
  }
  if (!call.destroyed && !call.writableEnded) call.end();
}
