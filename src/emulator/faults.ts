import type { EmulatorFaults, InjectedAppendError } from './emulator-api.js';

/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Fault-injection state behind `Emulator.faults`. Handlers ask it before doing work; nothing here runs on a
 * timer, so an idle emulator with faults configured costs nothing.
 */
export class FaultState implements EmulatorFaults {
  private unavailableUntil = 0;
  private appendLatencyMs = 0;
  private readonly gates = new Set<() => void>();
  private readonly gatePromises = new Map<() => void, Promise<void>>();
  private failures: { remaining: number; error: InjectedAppendError } = { remaining: 0, error: 'unavailable' };

  constructor(
    private readonly now: () => number,
    private readonly onDropConnections: () => void,
  ) {}

  dropConnections(): void {
    this.onDropConnections();
  }

  unavailableFor(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`unavailableFor: ms must be a non-negative number, got ${ms}`);
    this.unavailableUntil = this.now() + ms;
  }

  setAppendLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_TIMER_MS)
      throw new RangeError(`setAppendLatency: ms must be a number from 0 to ${MAX_TIMER_MS}, got ${ms}`);
    this.appendLatencyMs = ms;
  }

  hangAppends(): () => void {
    let release: () => void = () => undefined;
    const promise = new Promise<void>((resolve) => {
      release = () => {
        this.gates.delete(release);
        this.gatePromises.delete(release);
        resolve();
      };
    });
    this.gates.add(release);
    this.gatePromises.set(release, promise);
    return release;
  }

  failNextAppends(n: number, error: InjectedAppendError = 'unavailable'): void {
    if (!Number.isInteger(n) || n < 0)
      throw new RangeError(`failNextAppends: n must be a non-negative integer, got ${n}`);
    this.failures = { remaining: n, error };
  }

  reset(): void {
    this.unavailableUntil = 0;
    this.appendLatencyMs = 0;
    this.failures = { remaining: 0, error: 'unavailable' };
    for (const release of [...this.gates]) release();
  }

  isUnavailable(): boolean {
    return this.unavailableUntil > this.now();
  }

  /** Consumes one injected failure, if any is pending. */
  takeAppendFailure(): InjectedAppendError | undefined {
    if (this.failures.remaining <= 0) return undefined;
    this.failures.remaining -= 1;
    return this.failures.error;
  }

  /** Waits for the hangs active at receipt and the configured latency. */
  async delayAppend(): Promise<void> {
    const pending = [...this.gatePromises.values()];
    if (pending.length > 0) await Promise.all(pending);
    const latency = this.appendLatencyMs;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  }

  /** True when an append would be delayed (lets the hot path stay synchronous otherwise). */
  delaysAppends(): boolean {
    return this.gatePromises.size > 0 || this.appendLatencyMs > 0;
  }
}
