/**
 * A link that has work pending and acknowledges nothing for `timeoutMs` is stalled: a hung destination,
 * a lane stuck in retries. It is reported (status, warn log) instead of staying silent, and cleared by the
 * next acknowledgement.
 */
export class StallDetector {
  private lastProgressMs: number;
  private isStalled = false;

  constructor(
    private readonly timeoutMs: number,
    now: number,
  ) {
    this.lastProgressMs = now;
  }

  /** Returns 'recovered' when this progress ends a stall. */
  progress(now: number): 'recovered' | undefined {
    this.lastProgressMs = now;
    if (!this.isStalled) return undefined;
    this.isStalled = false;
    return 'recovered';
  }

  /** Returns 'stalled' when the link just became stalled. */
  check(now: number, workPending: boolean): 'stalled' | undefined {
    if (!workPending) {
      this.lastProgressMs = now;
      if (this.isStalled) this.isStalled = false;
      return undefined;
    }
    if (!this.isStalled && now - this.lastProgressMs >= this.timeoutMs) {
      this.isStalled = true;
      return 'stalled';
    }
    return undefined;
  }

  get stalled(): boolean {
    return this.isStalled;
  }

  get sinceProgressMs(): number {
    return this.lastProgressMs;
  }
}
