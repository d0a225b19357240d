/** Events per second over a sliding window of one-second buckets. */
export class RateWindow {
  private readonly buckets: number[];
  private bucketSecond = 0;

  constructor(
    private readonly now: () => number,
    private readonly seconds = 10,
  ) {
    this.buckets = new Array<number>(seconds).fill(0);
    this.bucketSecond = Math.floor(now() / 1000);
  }

  private roll(): void {
    const second = Math.floor(this.now() / 1000);
    const steps = Math.min(second - this.bucketSecond, this.seconds);
    for (let i = 1; i <= steps; i++) this.buckets[(this.bucketSecond + i) % this.seconds] = 0;
    if (second > this.bucketSecond) this.bucketSecond = second;
  }

  add(n: number): void {
    this.roll();
    const i = this.bucketSecond % this.seconds;
    this.buckets[i] = (this.buckets[i] ?? 0) + n;
  }

  /** Average rate over the window's completed seconds plus the current one. */
  rate(): number {
    this.roll();
    const total = this.buckets.reduce((a, b) => a + b, 0);
    return total / this.seconds;
  }
}
