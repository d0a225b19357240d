/** Messages between `WorkerSubscriptionReader` and its worker thread (structured-clone friendly). */
export interface WorkerInput {
  connectionString: string;
  regex: string;
  from: { commit: string; prepare: string } | null;
  initialCredits: number;
  batchSize: number;
}

/** streamId, id, type, revision, commit, prepare, createdMs, isJson, data, metadata */
export type WireEvent = [string, string, string, string, string, string, number, boolean, Uint8Array, Uint8Array];

export type FromWorker =
  | { t: 'events'; items: WireEvent[] }
  | { t: 'checkpoint'; commit: string; prepare: string }
  | { t: 'caughtUp' }
  | { t: 'error'; name: string; message: string }
  | { t: 'end' };

export type ToWorker = { t: 'credit'; n: number } | { t: 'stop' };
