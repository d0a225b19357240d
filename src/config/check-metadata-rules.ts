import { type MetadataRule, parseMetadataRuleText } from '../link/filter/metadata-match.js';
import type { RawProblem } from './check-shape.js';
import type { ConfigPath } from './config-path.js';
import { describeValue } from './describe-value.js';
import { didYouMean } from './did-you-mean.js';
import { isPlainObject } from './interpolate-env.js';
import { regexProblem } from './regex-problem.js';

const MATCH_KEYS = ['value', 'prefix', 'regex'] as const;
const OBJECT_KEYS = ['key', ...MATCH_KEYS];

/**
 * `filter.includeMetadata` / `filter.excludeMetadata`: a list of Linker `key:value` strings or
 * `{key, value|prefix|regex}` objects, normalized to objects. Every bad item is reported with its path.
 */
export function checkMetadataRules(
  value: unknown,
  path: ConfigPath,
  ctx: { problems: RawProblem[] },
): MetadataRule[] | undefined {
  if (!Array.isArray(value)) {
    ctx.problems.push({
      path,
      message: `must be a list of "key:value" strings or {key, value|prefix|regex} mappings, got ${describeValue(value)}`,
    });
    return undefined;
  }
  const out: MetadataRule[] = [];
  let ok = true;
  value.forEach((item: unknown, i) => {
    const rule = checkRule(item, [...path, i], ctx.problems);
    if (rule === undefined) ok = false;
    else out.push(rule);
  });
  return ok ? out : undefined;
}

function checkRule(item: unknown, path: ConfigPath, problems: RawProblem[]): MetadataRule | undefined {
  if (typeof item === 'string') {
    const parsed = parseMetadataRuleText(item);
    if ('error' in parsed) {
      problems.push({ path, message: `${describeValue(item)} ${parsed.error}` });
      return undefined;
    }
    return parsed;
  }
  if (!isPlainObject(item)) {
    problems.push({
      path,
      message: `must be a "key:value" string or a {key, value|prefix|regex} mapping, got ${describeValue(item)}`,
    });
    return undefined;
  }
  let ok = true;
  for (const k of Object.keys(item)) {
    if (OBJECT_KEYS.includes(k)) continue;
    ok = false;
    const hint = didYouMean(k, OBJECT_KEYS);
    problems.push({
      path: [...path, k],
      message: hint === '' ? `unknown key; allowed here: ${OBJECT_KEYS.join(', ')}` : `unknown key${hint}`,
      at: 'key',
    });
  }
  const key = item.key;
  if (key === undefined) {
    ok = false;
    problems.push({ path, message: 'missing required key "key" (the metadata key to match)' });
  } else if (typeof key !== 'string') {
    ok = false;
    problems.push({ path: [...path, 'key'], message: `must be a string, got ${describeValue(key)}` });
  } else if (key.length === 0) {
    ok = false;
    problems.push({ path: [...path, 'key'], message: 'must not be empty' });
  }
  const given = MATCH_KEYS.filter((k) => item[k] !== undefined);
  // A misspelt "value" is already reported as an unknown key.
  if (given.length === 0 && !ok) return undefined;
  if (given.length !== 1) {
    problems.push({
      path,
      message:
        given.length === 0
          ? 'give one of "value", "prefix" or "regex"'
          : `give only one of "value", "prefix" or "regex", got ${given.map((g) => `"${g}"`).join(' and ')}`,
    });
    return undefined;
  }
  const which = given[0]!;
  const raw = item[which];
  let text: string;
  if (typeof raw === 'string') text = raw;
  else if (which === 'value' && (typeof raw === 'number' || typeof raw === 'boolean')) {
    // Compared as JSON text, which is how numbers and booleans in the metadata are compared.
    text = JSON.stringify(raw);
  } else {
    problems.push({
      path: [...path, which],
      message: `must be a string${which === 'value' ? ', number or boolean' : ''}, got ${describeValue(raw)}`,
    });
    return undefined;
  }
  if (which === 'regex') {
    if (text.length === 0) {
      problems.push({ path: [...path, which], message: 'must not be empty' });
      return undefined;
    }
    const reason = regexProblem(text);
    if (reason !== undefined) {
      problems.push({
        path: [...path, which],
        message: `is not a valid regular expression: ${describeValue(text)} (${reason})`,
      });
      return undefined;
    }
  }
  if (!ok || typeof key !== 'string') return undefined;
  if (which === 'value') return { key, value: text };
  if (which === 'prefix') return { key, prefix: text };
  return { key, regex: text };
}
