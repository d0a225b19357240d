/**
 * Edits the top level of a JSON object as text. Metadata written by users must survive replication byte for
 * byte apart from the keys we add: re-serializing through JS would reorder nothing but would round numbers
 * beyond 2^53 (`$tb`, large ids), change escapes and whitespace. So we locate the top-level members in the
 * original text and splice new members in before the closing brace, or replace one value's span.
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

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Returns the text when the bytes are UTF-8 holding one JSON object (`{...}`), otherwise undefined. */
export function jsonObjectText(bytes: Uint8Array): { text: string; value: Record<string, unknown> } | undefined {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return { text, value: value as Record<string, unknown> };
}

function skipWhitespace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
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
