/** Messages between `WorkerSubscriptionReader` and its worker thread (structured-clone friendly). */
export interface WorkerInput {
  connectionString: string;
  regex: string;
  from: { commit: string; prepare: string } | null;
  initialCredits: number;
  batchSize: number;
}

export type FromWorker =
  /** `count` events and the checkpoints between them, packed by `EventBatchPacker`; transferred, not copied. */
  | { t: 'events'; batch: ArrayBuffer; count: number }
  | { t: 'caughtUp' }
  /** `type`: the client's `ErrorType` when the client raised the error. */
  | { t: 'error'; name: string; message: string; type: string | undefined }
  | { t: 'end' };

export type ToWorker = { t: 'credit'; n: number } | { t: 'stop' };
