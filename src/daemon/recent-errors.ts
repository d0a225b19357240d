/** One error the daemon saw, as shown in the status API (newest first). */
export interface RecentError {
  link: string;
  code: string;
  message: string;
  at: string;
}

/**
 * A bounded, de-duplicated list of recent errors. Links report their last error through their status on
 * every poll, so the same error is seen many times: it is kept once, keyed by link, code and time.
 */
export class RecentErrors {
  private readonly items: RecentError[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 50) {}

  /** Returns true when the error was new. */
  add(error: RecentError): boolean {
    const key = `${error.link}\u0000${error.code}\u0000${error.at}\u0000${error.message}`;
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    this.items.unshift(error);
    while (this.items.length > this.capacity) {
      const dropped = this.items.pop();
      if (dropped) this.seen.delete(`${dropped.link}\u0000${dropped.code}\u0000${dropped.at}\u0000${dropped.message}`);
    }
    return true;
  }

  list(): RecentError[] {
    return this.items.map((e) => ({ ...e }));
  }
}
