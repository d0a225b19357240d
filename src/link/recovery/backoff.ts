/**
 * Capped exponential backoff with full jitter: attempt n waits a random time in
 * [delay/2, delay] where delay = min(max, initial * 2^n). Half-jitter keeps some spacing between retries
 * while still spreading links that failed together.
 */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: { initialDelayMs: number; maxDelayMs: number },
    private readonly random: () => number = Math.random,
  ) {}

  nextDelayMs(): number {
    const exp = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(exp / 2 + (exp / 2) * this.random());
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}
