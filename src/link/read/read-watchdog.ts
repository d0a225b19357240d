/**
 * Notices an origin subscription that went silent while the origin holds events for it: a connection that
 * stays open but carries nothing (a wedged server, a lost flow, bytes lost mid-stream), which neither the
 * subscription nor gRPC reports as an error. Silence alone proves nothing (an idle origin sends nothing),
 * so after `silenceMs` without activity the link asks the origin, with a separate read, whether anything
 * after the last position read needs copying. Two such answers in a row (or reads that fail), with no
 * activity in between, mean the subscription is stuck: the link resubscribes on a new connection.
 */
export class ReadWatchdog {
  private lastActivityMs: number;
  private strikes = 0;
  private checking = false;

  constructor(
    private readonly silenceMs: number,
    now: number,
  ) {
    this.lastActivityMs = now;
  }

  /** The subscription delivered something (event, checkpoint, caught-up), or was (re)started. */
  activity(now: number): void {
    this.lastActivityMs = now;
    this.strikes = 0;
  }

  /** Whether the origin should be asked now. A paused reader is silent on purpose. */
  due(now: number, paused: boolean): boolean {
    if (paused) {
      this.activity(now);
      return false;
    }
    return !this.checking && now - this.lastActivityMs >= this.silenceMs;
  }

  begin(): void {
    this.checking = true;
  }

  /**
   * The origin's answer: `stuck` when events wait (or the check failed). Returns 'resubscribe' on the
   * second stuck answer in a row; the silence clock restarts after every answer.
   */
  verdict(stuck: boolean, now: number): 'resubscribe' | undefined {
    this.checking = false;
    if (!stuck) {
      this.activity(now);
      return undefined;
    }
    this.lastActivityMs = now;
    this.strikes++;
    if (this.strikes < 2) return undefined;
    this.strikes = 0;
    return 'resubscribe';
  }

  get silentSinceMs(): number {
    return this.lastActivityMs;
  }
}
