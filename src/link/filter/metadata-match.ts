import { LinkerError } from '../../shared/errors.js';
import { layoutOf } from '../../shared/json-object-text.js';

/**
 * One metadata condition of `filter.includeMetadata` / `filter.excludeMetadata`, as validated by src/config:
 * the top-level key of the event's metadata object and how its value must look.
 */
export type MetadataRule =
  { key: string; value: string } | { key: string; prefix: string } | { key: string; regex: string };

/** The event's metadata once parsed (the link parses it once for loop prevention and filters alike). */
export interface ParsedMetadataObject {
  text: string;
  value: Record<string, unknown>;
}

export type MetadataPredicate = (parsed: ParsedMetadataObject) => boolean;

/**
 * Linker's `key:valuePattern` string: split at the first `:`; a trailing `*` makes the value a prefix (all
 * trailing stars are dropped, as Linker's `TrimEnd('*')` does). Returns a message when the text has no key.
 */
export function parseMetadataRuleText(text: string): MetadataRule | { error: string } {
  const colon = text.indexOf(':');
  if (colon < 0) return { error: 'has no ":"; write "key:value" (a trailing "*" makes the value a prefix)' };
  const key = text.slice(0, colon);
  if (key.length === 0) return { error: 'has an empty key before ":"' };
  const pattern = text.slice(colon + 1);
  if (pattern.endsWith('*')) return { key, prefix: pattern.replace(/\*+$/, '') };
  return { key, value: pattern };
}

/**
 * The text a metadata value is compared as: strings as they are; numbers, booleans as their JSON source
 * text (so `"priority:10"` matches `"priority": 10` and 2^53+1 stays exact); `null`, objects and arrays
 * never match (Linker skips null; a structure has no single text to compare).
 */
function valueText(parsed: ParsedMetadataObject, key: string): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(parsed.value, key)) return undefined;
  const v = parsed.value[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    // Numbers are rare in filtered keys: locate the source text only then, so big integers stay exact.
    const span = layoutOf(parsed.text).members.get(key);
    return span ? parsed.text.slice(span.valueStart, span.valueEnd) : String(v);
  }
  return undefined;
}

function compileRule(rule: MetadataRule): MetadataPredicate {
  const { key } = rule;
  if ('value' in rule) {
    const want = rule.value;
    return (p) => valueText(p, key) === want;
  }
  if ('prefix' in rule) {
    const prefix = rule.prefix;
    return (p) => valueText(p, key)?.startsWith(prefix) === true;
  }
  let re: RegExp;
  try {
    re = new RegExp(rule.regex);
  } catch (err) {
    throw new LinkerError(
      'ESDBL_LINK_BAD_FILTER',
      `invalid metadata regex ${JSON.stringify(rule.regex)} for key ${JSON.stringify(key)}: ${(err as Error).message}`,
    );
  }
  return (p) => {
    const text = valueText(p, key);
    return text !== undefined && re.test(text);
  };
}

/** True when any rule matches (rules of one list are OR'd, as in Linker); never for non-object metadata. */
export function compileMetadataRules(
  rules: readonly MetadataRule[],
): ((parsed: ParsedMetadataObject | undefined) => boolean) | undefined {
  if (rules.length === 0) return undefined;
  const predicates = rules.map(compileRule);
  return (parsed) => parsed !== undefined && predicates.some((p) => p(parsed));
}
