import type { ServerWritableStream } from '@grpc/grpc-js';

export class CallAbortedError extends Error {
  constructor() {
    super('call ended');
    this.name = 'CallAbortedError';
  }
}

/** Where a read or subscription sends its responses (a gRPC call in production, a list in unit tests). */
export interface MessageSink {
  /** Resolves once the message is accepted; throws once the call has ended. */
  write(message: unknown): Promise<void>;
}

/**
 * Writes responses honouring gRPC back-pressure: when the call's buffer is full it waits for `drain`
 * instead of queueing more, so a slow reader holds the producer back (nothing buffers unboundedly).
 */
export class ResponseWriter implements MessageSink {
  constructor(
    private readonly call: ServerWritableStream<unknown, unknown>,
    private readonly signal: AbortSignal,
  ) {}

  /** Resolves when the message is accepted (immediately unless the buffer is full); throws once the call ended. */
  async write(message: unknown): Promise<void> {
    if (this.signal.aborted) throw new CallAbortedError();
    if (this.call.write(message)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.call.off('drain', done);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.call.on('drain', done);
      this.signal.addEventListener('abort', done, { once: true });
    });
    if (this.signal.aborted) throw new CallAbortedError();
  }
}
