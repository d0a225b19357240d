import { Worker } from 'node:worker_threads';
import type { Position } from '@eventstore/db-client';
import { LinkerError } from '../../shared/errors.js';
import type { OriginReader, ReaderHandlers } from './subscription-reader.js';
import type { FromWorker, ToWorker, WorkerInput } from './subscription-worker-protocol.js';
import { unpackEventBatch } from './worker-event-batch.js';

const WORKER_URL = new URL('./subscription-worker.js', import.meta.url);
const STOP_TIMEOUT_MS = 2_000;

export interface WorkerReaderOptions {
  /** Events that may travel between the threads before the link consumes them. @defaultValue 2048 */
  credits?: number;
  /** Events per message. @defaultValue 256 */
  batchSize?: number;
}

/**
 * The origin subscription on a worker thread, so decoding the gRPC stream runs on the second core
 * while this thread annotates and writes. Same contract as `SubscriptionReader`: `pause()` stops granting
 * credits, which pauses the worker's subscription (and so the server) once the granted ones are used.
 */
export class WorkerSubscriptionReader implements OriginReader {
  private paused = false;
  private owed = 0;
  private worker: Worker | undefined;
  private readonly credits: number;
  private readonly batchSize: number;

  constructor(
    private readonly connectionString: string,
    private readonly serverStreamRegex: string,
    options: WorkerReaderOptions = {},
  ) {
    this.credits = options.credits ?? 2048;
    this.batchSize = options.batchSize ?? 256;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
  }

  /** Nothing to do: each run starts a new thread with a client (and connection) of its own. */
  replaceConnection(_reason: string): void {}

  resume(): void {
    this.paused = false;
    if (this.owed > 0) {
      this.send({ t: 'credit', n: this.owed });
      this.owed = 0;
    }
  }

  async run(from: Position | null, handlers: ReaderHandlers, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const input: WorkerInput = {
      connectionString: this.connectionString,
      regex: this.serverStreamRegex,
      from: from ? { commit: from.commit.toString(), prepare: from.prepare.toString() } : null,
      initialCredits: this.credits,
      batchSize: this.batchSize,
    };
    const worker = new Worker(WORKER_URL, { workerData: input });
    this.worker = worker;
    this.owed = 0;
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        const fail = (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        };
        worker.on('message', (message: FromWorker) => {
          if (signal.aborted) return;
          try {
            this.dispatch(message, handlers, fail);
          } catch (err) {
            fail(err);
          }
        });
        worker.on('error', (err) => fail(err));
        worker.on('exit', (code) => {
          if (!signal.aborted) {
            fail(new LinkerError('ESDBL_LINK_SUBSCRIPTION_ENDED', `the origin reader thread exited (code ${code})`));
          }
        });
      });
    } finally {
      this.worker = undefined;
      await stopWorker(worker);
    }
  }

  private dispatch(message: FromWorker, handlers: ReaderHandlers, fail: (err: unknown) => void): void {
    switch (message.t) {
      case 'events':
        unpackEventBatch(message.batch, handlers);
        if (message.count === 0) return;
        if (this.paused) this.owed += message.count;
        else this.send({ t: 'credit', n: message.count });
        return;
      case 'caughtUp':
        handlers.onCaughtUp();
        return;
      case 'error':
        fail(
          new LinkerError(
            'ESDBL_LINK_SUBSCRIPTION_FAILED',
            `origin subscription failed${message.type ? ` (${message.type})` : ''}: ${message.message}`,
            message.type ? { details: { type: message.type } } : {},
          ),
        );
        return;
      case 'end':
        fail(new LinkerError('ESDBL_LINK_SUBSCRIPTION_ENDED', 'the origin ended the $all subscription'));
        return;
    }
  }

  private send(message: ToWorker): void {
    this.worker?.postMessage(message);
  }
}

async function stopWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage({ t: 'stop' } satisfies ToWorker);
  const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
