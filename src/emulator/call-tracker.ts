import type { RpcError } from './wire/rpc-errors.js';

/** An open call the emulator can end on demand (fault injection, stop). */
export interface TrackedCall {
  /** Ends the call with `error` (or quietly when the call already finished). */
  end(error: RpcError): void;
}

/** Registry of open streaming calls, so `dropConnections()` and `stop()` can end them. */
export class CallTracker {
  private readonly calls = new Set<TrackedCall>();

  add(call: TrackedCall): () => void {
    this.calls.add(call);
    return () => {
      this.calls.delete(call);
    };
  }

  endAll(error: RpcError): void {
    const calls = [...this.calls];
    this.calls.clear();
    for (const c of calls) c.end(error);
  }

  get size(): number {
    return this.calls.size;
  }
}
