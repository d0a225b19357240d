/**
 * Reads a JSON object as key -> value TEXT instead of JavaScript values.
 *
 * Why: `JSON.parse` rounds numbers beyond 2^53 (`$tb` = long.MaxValue after a soft delete, big ids in
 * user metadata), so two different values could compare equal. Comparing each value's source text keeps
 * every digit. Whitespace outside strings is dropped so a re-serialized but identical value still matches.
 */

/** Top-level keys of a JSON object mapped to their value's compact source text (last duplicate wins, as in `JSON.parse`). */
export type JsonObjectText = Map<string, string>;

class JsonTextError extends Error {}

class Scanner {
  private pos = 0;

  constructor(private readonly text: string) {}

  parseObjectRoot(): JsonObjectText {
    this.skipWhitespace();
    const entries = this.parseObject();
    this.skipWhitespace();
    if (this.pos !== this.text.length) throw new JsonTextError('trailing characters');
    return entries;
  }

  private parseObject(): JsonObjectText {
    const entries: JsonObjectText = new Map();
    this.expect('{');
    this.skipWhitespace();
    if (this.peek() === '}') {
      this.pos++;
      return entries;
    }
    for (;;) {
      this.skipWhitespace();
      const keyStart = this.pos;
      this.skipString();
      const key = JSON.parse(this.text.slice(keyStart, this.pos)) as string;
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      entries.set(key, this.valueText());
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === '}') return entries;
      if (next !== ',') throw new JsonTextError(`expected ',' or '}' at ${this.pos - 1}`);
    }
  }

  private valueText(): string {
    let out = '';
    const start = this.pos;
    this.skipValue();
    // Compact the value's text: drop whitespace outside strings, keep string contents as written.
    let i = start;
    while (i < this.pos) {
      const ch = this.text[i]!;
      if (ch === '"') {
        const end = this.stringEnd(i);
        out += this.text.slice(i, end);
        i = end;
      } else {
        if (!isWhitespace(ch)) out += ch;
        i++;
      }
    }
    return out;
  }

  private skipValue(): void {
    const ch = this.peek();
    if (ch === '{') {
      this.skipContainer('{', '}', true);
    } else if (ch === '[') {
      this.skipContainer('[', ']', false);
    } else if (ch === '"') {
      this.skipString();
    } else if (ch === 't') {
      this.literal('true');
    } else if (ch === 'f') {
      this.literal('false');
    } else if (ch === 'n') {
      this.literal('null');
    } else {
      this.skipNumber();
    }
  }

  private skipContainer(open: string, close: string, keyed: boolean): void {
    this.expect(open);
    this.skipWhitespace();
    if (this.peek() === close) {
      this.pos++;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (keyed) {
        this.skipString();
        this.skipWhitespace();
        this.expect(':');
        this.skipWhitespace();
      }
      this.skipValue();
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === close) return;
      if (next !== ',') throw new JsonTextError(`expected ',' or '${close}' at ${this.pos - 1}`);
    }
  }

  private skipString(): void {
    if (this.peek() !== '"') throw new JsonTextError(`expected a string at ${this.pos}`);
    this.pos = this.stringEnd(this.pos);
  }

  /** Index just after the closing quote of the string starting at `start`. */
  private stringEnd(start: number): number {
    let i = start + 1;
    while (i < this.text.length) {
      const ch = this.text[i]!;
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if (ch === '"') return i + 1;
      if (ch < ' ') throw new JsonTextError(`control character in string at ${i}`);
      i++;
    }
    throw new JsonTextError('unterminated string');
  }

  private skipNumber(): void {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!match) throw new JsonTextError(`unexpected character at ${this.pos}`);
    this.pos += match[0].length;
  }

  private literal(word: string): void {
    if (!this.text.startsWith(word, this.pos)) throw new JsonTextError(`unexpected token at ${this.pos}`);
    this.pos += word.length;
  }

  private expect(ch: string): void {
    if (this.text[this.pos] !== ch) throw new JsonTextError(`expected '${ch}' at ${this.pos}`);
    this.pos++;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length && isWhitespace(this.text[this.pos]!)) this.pos++;
  }
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r';
}

/** The object's keys and compact value texts, or `undefined` when the text is not one valid JSON object. */
export function parseJsonObjectText(text: string): JsonObjectText | undefined {
  try {
    return new Scanner(text).parseObjectRoot();
  } catch (err) {
    if (err instanceof JsonTextError || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Same as `parseJsonObjectText` for UTF-8 bytes; invalid UTF-8 is not JSON. */
export function parseJsonObjectBytes(bytes: Uint8Array): JsonObjectText | undefined {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return undefined;
  }
  return parseJsonObjectText(text);
}
