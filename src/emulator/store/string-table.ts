/**
 * Interned strings by number: the log stores a stream name, event type or content type once and a 4-byte
 * number per record, instead of a string (or a pointer the GC must trace) per record.
 * DEVIATION (documented): the table never shrinks, so a log of distinct event types costs one entry each.
 */
export class StringTable {
  private readonly numbers = new Map<string, number>();
  private readonly strings: string[] = [];

  intern(text: string): number {
    let n = this.numbers.get(text);
    if (n === undefined) {
      n = this.strings.length;
      this.strings.push(text);
      this.numbers.set(text, n);
    }
    return n;
  }

  get(n: number): string {
    return this.strings[n] as string;
  }
}
