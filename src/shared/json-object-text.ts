/**
 * Reads and edits the top level of a JSON object as text. `JSON.parse` rounds numbers beyond 2^53 (`$tb` =
 * long.MaxValue after a soft delete, large ids), so:
 * - the link splices its annotations into user metadata (new members before the closing brace, or one value's
 *   span replaced) so every other byte survives replication, including digits, escapes and whitespace;
 * - verify compares metadata key by key on each value's source text, so values differing beyond 2^53 still
 *   differ.
 * Validity is decided by `JSON.parse` alone; the scanner below then only locates spans in text known valid.
 */
export interface MemberSpan {
  /** Index of the value's first character. */
  valueStart: number;
  /** Index just past the value's last character. */
  valueEnd: number;
}

export interface ObjectLayout {
  /** Top-level members by key (the last occurrence wins, like JSON.parse). */
  members: Map<string, MemberSpan>;
  /** Index of the closing `}`. */
  closeBrace: number;
}

/** Top-level keys of a JSON object mapped to their value's compact source text (last duplicate wins, as in `JSON.parse`). */
export type JsonObjectText = Map<string, string>;

// The default `ignoreBOM: false` strips a leading UTF-8 BOM, so BOM-prefixed metadata still counts as JSON.
const decoder = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function parseObjectValue(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}

/** Returns the text when the bytes are UTF-8 holding one JSON object (`{...}`), otherwise undefined. */
export function jsonObjectText(bytes: Uint8Array): { text: string; value: Record<string, unknown> } | undefined {
  const text = decodeUtf8(bytes);
  if (text === undefined) return undefined;
  const value = parseObjectValue(text);
  return value ? { text, value } : undefined;
}

function skipWhitespace(text: string, i: number): number {
  while (i < text.length && isJsonWhitespace(text.charCodeAt(i))) i++;
  return i;
}

function skipString(text: string, i: number): number {
  // i points at the opening quote
  i++;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  throw new Error('unterminated string');
}

function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    while (i < text.length) {
      const d = text[i];
      if (d === '"') {
        i = skipString(text, i);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    throw new Error('unterminated container');
  }
  // number, true, false, null
  while (i < text.length && !/[\s,}\]]/.test(text[i]!)) i++;
  return i;
}

/** Layout of a text already known (by `jsonObjectText`) to be a valid JSON object. */
export function layoutOf(text: string): ObjectLayout {
  const members = new Map<string, MemberSpan>();
  let i = skipWhitespace(text, 0);
  if (text[i] !== '{') throw new Error('not a JSON object');
  i = skipWhitespace(text, i + 1);
  while (text[i] !== '}') {
    const keyStart = i;
    i = skipString(text, i);
    const key = JSON.parse(text.slice(keyStart, i)) as string;
    i = skipWhitespace(text, i);
    i = skipWhitespace(text, i + 1); // ':'
    const valueStart = i;
    i = skipValue(text, i);
    members.set(key, { valueStart, valueEnd: i });
    i = skipWhitespace(text, i);
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return { members, closeBrace: i };
}

export type MemberEdit =
  /** Adds the member only when the key is absent. */
  | { key: string; addIfAbsent: string }
  /** Replaces the value (or adds the member); `replace` gets the old value's text. */
  | { key: string; set: (oldValueText: string | undefined) => string };

/** Applies edits (values are JSON texts) to an object's text, keeping every other byte. */
export function editJsonObject(text: string, edits: readonly MemberEdit[]): string {
  const layout = layoutOf(text);
  const replacements: { start: number; end: number; text: string }[] = [];
  const appended: string[] = [];
  for (const edit of edits) {
    const span = layout.members.get(edit.key);
    if ('addIfAbsent' in edit) {
      if (!span) appended.push(`${JSON.stringify(edit.key)}:${edit.addIfAbsent}`);
    } else if (span) {
      replacements.push({
        start: span.valueStart,
        end: span.valueEnd,
        text: edit.set(text.slice(span.valueStart, span.valueEnd)),
      });
    } else {
      appended.push(`${JSON.stringify(edit.key)}:${edit.set(undefined)}`);
    }
  }
  if (appended.length > 0) {
    const hasMembers = layout.members.size > 0;
    replacements.push({
      start: layout.closeBrace,
      end: layout.closeBrace,
      text: (hasMembers ? ',' : '') + appended.join(','),
    });
  }
  replacements.sort((a, b) => b.start - a.start);
  let out = text;
  for (const r of replacements) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}

function isJsonWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The value's text without whitespace outside strings, so a re-serialized but identical value still matches. */
function compactValueText(text: string, span: MemberSpan): string {
  let out = '';
  let i = span.valueStart;
  while (i < span.valueEnd) {
    if (text[i] === '"') {
      const end = skipString(text, i);
      out += text.slice(i, end);
      i = end;
    } else {
      if (!isJsonWhitespace(text.charCodeAt(i))) out += text[i];
      i++;
    }
  }
  return out;
}

function memberTexts(text: string): JsonObjectText {
  const entries: JsonObjectText = new Map();
  for (const [key, span] of layoutOf(text).members) entries.set(key, compactValueText(text, span));
  return entries;
}

/** The object's keys and compact value texts, or `undefined` when the text is not one valid JSON object. */
export function parseJsonObjectText(text: string): JsonObjectText | undefined {
  return parseObjectValue(text) ? memberTexts(text) : undefined;
}

/** Same as `parseJsonObjectText` for UTF-8 bytes; invalid UTF-8 and empty input are not JSON. */
export function parseJsonObjectBytes(bytes: Uint8Array): JsonObjectText | undefined {
  const parsed = jsonObjectText(bytes);
  return parsed ? memberTexts(parsed.text) : undefined;
}
