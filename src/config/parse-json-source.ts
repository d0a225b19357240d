import { type LocationNode, newLocationNode } from './source-locations.js';

/** A JSON syntax error at a character offset. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/**
 * Strict JSON (RFC 8259) parser that also records where every key and value starts. `JSON.parse` does not
 * always say where it failed, and YAML's parser accepts broken JSON (`{"a": tru}` is valid YAML), so .json
 * configs get this one. Duplicate keys are rejected: JSON leaves them undefined and a silent "last one wins"
 * hides mistakes in a config.
 */
export function parseJsonSource(text: string): { value: unknown; locations: LocationNode } {
  const parser = new JsonParser(text);
  return parser.parseDocument();
}

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class JsonParser {
  private pos = 0;

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  parseDocument(): { value: unknown; locations: LocationNode } {
    this.skipWhitespace();
    if (this.pos >= this.text.length) throw new JsonSyntaxError('the file is empty: expected a JSON object', this.pos);
    const locations = newLocationNode(this.pos);
    const value = this.parseValue(locations);
    this.skipWhitespace();
    if (this.pos < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`);
    return { value, locations };
  }

  private parseValue(loc: LocationNode): unknown {
    const ch = this.text[this.pos];
    switch (ch) {
      case '{':
        return this.parseObject(loc);
      case '[':
        return this.parseArray(loc);
      case '"':
        return this.parseString();
      case 't':
        return this.parseLiteral('true', true);
      case 'f':
        return this.parseLiteral('false', false);
      case 'n':
        return this.parseLiteral('null', null);
      default:
        if (ch !== undefined && (ch === '-' || (ch >= '0' && ch <= '9'))) return this.parseNumber();
        return this.fail(`expected a value, got ${this.describeHere()}`);
    }
  }

  private parseObject(loc: LocationNode): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') {
        this.fail(`expected a double-quoted property name, got ${this.describeHere()}`);
      }
      const keyOffset = this.pos;
      const key = this.parseString();
      if (Object.prototype.hasOwnProperty.call(out, key)) {
        throw new JsonSyntaxError(`duplicate key ${JSON.stringify(key)}`, keyOffset);
      }
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after property name, got ${this.describeHere()}`);
      this.pos++;
      this.skipWhitespace();
      const child = newLocationNode(this.pos, keyOffset);
      loc.children.set(key, child);
      // defineProperty, not assignment: a "__proto__" key must stay data, not change the prototype.
      Object.defineProperty(out, key, {
        value: this.parseValue(child),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        this.skipWhitespace();
        if (this.text[this.pos] === '}') this.fail("trailing comma before '}' (JSON does not allow it)");
        continue;
      }
      if (next === '}') {
        this.pos++;
        return out;
      }
      this.fail(`expected ',' or '}' after a property value, got ${this.describeHere()}`);
    }
  }

  private parseArray(loc: LocationNode): unknown[] {
    const out: unknown[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      const child = newLocationNode(this.pos);
      loc.children.set(out.length, child);
      out.push(this.parseValue(child));
      this.skipWhitespace();
      const next = this.text[this.pos];
      if (next === ',') {
        this.pos++;
        this.skipWhitespace();
        if (this.text[this.pos] === ']') this.fail("trailing comma before ']' (JSON does not allow it)");
        continue;
      }
      if (next === ']') {
        this.pos++;
        return out;
      }
      this.fail(`expected ',' or ']' after an array element, got ${this.describeHere()}`);
    }
  }

  private parseString(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === undefined) throw new JsonSyntaxError('unterminated string', start);
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === '\\') {
        const esc = this.text[this.pos + 1];
        if (esc === 'u') {
          const hex = this.text.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape in string');
          out += String.fromCharCode(parseInt(hex, 16));
          this.pos += 6;
          continue;
        }
        const mapped = esc === undefined ? undefined : ESCAPES[esc];
        if (mapped === undefined) this.fail(`invalid escape \\${esc ?? ''} in string`);
        out += mapped;
        this.pos += 2;
        continue;
      }
      if (ch.charCodeAt(0) < 0x20) this.fail('unescaped control character (a raw line break?) in string');
      out += ch;
      this.pos++;
    }
  }

  private parseNumber(): number {
    const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos));
    if (match === null) return this.fail(`invalid number ${this.describeHere()}`);
    this.pos += match[0].length;
    return Number(match[0]);
  }

  private parseLiteral<T>(word: string, value: T): T {
    if (this.text.startsWith(word, this.pos)) {
      this.pos += word.length;
      return value;
    }
    return this.fail(`expected a value, got ${this.describeHere()}`);
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.pos++;
      else break;
    }
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'the end of the file';
    const word = /^[A-Za-z0-9_.+-]+/.exec(this.text.slice(this.pos, this.pos + 40));
    return word === null ? JSON.stringify(this.text[this.pos]) : JSON.stringify(word[0]);
  }

  private fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }
}
