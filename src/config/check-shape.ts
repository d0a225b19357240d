import { type ConfigPath, formatPath } from './config-path.js';
import type {
  ArraySpec,
  FieldSpec,
  IntegerSpec,
  ObjectSpec,
  StringListSpec,
  StringSpec,
  TaggedSpec,
} from './config-spec.js';
import { describeValue } from './describe-value.js';
import { checkMetadataRules } from './check-metadata-rules.js';
import { didYouMean } from './did-you-mean.js';
import { isPlainObject } from './interpolate-env.js';
import { regexProblem } from './regex-problem.js';

export interface RawProblem {
  /** A key path, or literal text for problems outside the file (environment variables). */
  path: ConfigPath | string;
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  at?: 'key' | 'value';
}

export interface ShapeContext {
  problems: RawProblem[];
  /** Formatted paths whose string came from `${...}`: such strings may stand for numbers and booleans. */
  interpolated: ReadonlySet<string>;
  /** Formatted paths already reported (an unset `${VAR}`): no second problem about the same value. */
  reported?: ReadonlySet<string>;
}

/**
 * Checks a parsed value against the spec and returns it with only the keys the user gave (defaults are applied
 * later, after layering presets and `defaults`). Every problem is collected; a bad value is dropped from the
 * result, so later checks see only good values.
 */
export function checkShape(spec: FieldSpec, value: unknown, path: ConfigPath, ctx: ShapeContext): unknown {
  switch (spec.kind) {
    case 'string':
      return checkString(spec, value, path, ctx);
    case 'integer':
      return checkInteger(spec, value, path, ctx);
    case 'boolean':
      return checkBoolean(value, path, ctx);
    case 'string-list':
      return checkStringList(spec, value, path, ctx);
    case 'metadata-rules':
      return checkMetadataRules(value, path, ctx);
    case 'object':
      return checkObject(spec, value, path, ctx);
    case 'array':
      return checkArray(spec, value, path, ctx);
    case 'tagged':
      return checkTagged(spec, value, path, ctx);
  }
}

function checkString(spec: StringSpec, value: unknown, path: ConfigPath, ctx: ShapeContext): string | undefined {
  if (typeof value !== 'string') {
    return bad(ctx, path, `must be a string, got ${describeValue(value)}`);
  }
  const shown = describeValue(value, { secret: spec.secret });
  if (spec.minLength !== undefined && value.length < spec.minLength) {
    return bad(ctx, path, 'must not be empty');
  }
  if (spec.enum !== undefined && !spec.enum.includes(value)) {
    const options = spec.enum.map((e) => JSON.stringify(e)).join(', ');
    return bad(ctx, path, `must be one of ${options}, got ${shown}${didYouMean(value, spec.enum)}`);
  }
  if (spec.pattern !== undefined && spec.template !== true && !spec.pattern.test(value)) {
    return bad(ctx, path, `must use ${spec.patternHint ?? `the pattern ${String(spec.pattern)}`}, got ${shown}`);
  }
  const reason = spec.format === 'regex' ? regexProblem(value) : undefined;
  if (reason !== undefined) return bad(ctx, path, `is not a valid regular expression: ${shown} (${reason})`);
  return value;
}

function checkInteger(spec: IntegerSpec, value: unknown, path: ConfigPath, ctx: ShapeContext): number | undefined {
  let n = value;
  if (typeof value === 'string' && ctx.interpolated.has(formatPath(path)) && /^\s*-?\d+\s*$/.test(value)) {
    n = Number(value);
  }
  if (typeof n !== 'number' || Number.isNaN(n)) {
    return bad(ctx, path, `must be a whole number, got ${describeValue(value)}`);
  }
  if (!Number.isInteger(n)) return bad(ctx, path, `must be a whole number, got ${n}`);
  if (n < spec.min || n > spec.max) {
    return bad(ctx, path, `must be between ${spec.min} and ${spec.max}, got ${n}`);
  }
  return n;
}

function checkBoolean(value: unknown, path: ConfigPath, ctx: ShapeContext): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && ctx.interpolated.has(formatPath(path))) {
    const lower = value.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  return bad(ctx, path, `must be true or false, got ${describeValue(value)}`);
}

function checkStringList(
  spec: StringListSpec,
  value: unknown,
  path: ConfigPath,
  ctx: ShapeContext,
): string[] | undefined {
  if (!Array.isArray(value)) return bad(ctx, path, `must be a list of strings, got ${describeValue(value)}`);
  const out: string[] = [];
  let ok = true;
  value.forEach((item: unknown, i) => {
    const itemPath = [...path, i];
    if (typeof item !== 'string') {
      ok = false;
      ctx.problems.push({ path: itemPath, message: `must be a string, got ${describeValue(item)}` });
    } else if (spec.itemMinLength !== undefined && item.length < spec.itemMinLength) {
      ok = false;
      ctx.problems.push({ path: itemPath, message: 'must not be empty' });
    } else if (spec.uniqueItems === true && out.includes(item)) {
      ok = false;
      ctx.problems.push({ path: itemPath, message: `${describeValue(item)} is listed more than once` });
    } else {
      out.push(item);
    }
  });
  if (spec.minItems !== undefined && value.length < spec.minItems) {
    return bad(ctx, path, `must list at least ${spec.minItems}, got ${value.length}`);
  }
  return ok ? out : undefined;
}

function checkObject(
  spec: ObjectSpec,
  value: unknown,
  path: ConfigPath,
  ctx: ShapeContext,
): Record<string, unknown> | undefined {
  if (!isPlainObject(value)) return bad(ctx, path, `must be a mapping, got ${describeValue(value)}`);
  const out: Record<string, unknown> = {};
  const known = Object.keys(spec.fields);
  for (const [key, child] of Object.entries(value)) {
    const field = Object.prototype.hasOwnProperty.call(spec.fields, key) ? spec.fields[key] : undefined;
    if (field === undefined) {
      const hint = didYouMean(key, known);
      ctx.problems.push({
        path: [...path, key],
        message: hint === '' ? `unknown key; allowed here: ${known.join(', ')}` : `unknown key${hint}`,
        at: 'key',
      });
      continue;
    }
    const checked = checkShape(field, child, [...path, key], ctx);
    if (checked !== undefined) out[key] = checked;
  }
  for (const key of spec.required ?? []) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) {
      ctx.problems.push({ path, message: `missing required key "${key}"` });
    }
  }
  // A partly bad object still yields its good keys so that later checks (topology, references) can run.
  return out;
}

function checkArray(spec: ArraySpec, value: unknown, path: ConfigPath, ctx: ShapeContext): unknown[] | undefined {
  if (!Array.isArray(value)) return bad(ctx, path, `must be a list, got ${describeValue(value)}`);
  if (spec.minItems !== undefined && value.length < spec.minItems) {
    ctx.problems.push({ path, message: `must list at least ${spec.minItems} entries, got ${value.length}` });
  }
  return value.map((item: unknown, i) => checkShape(spec.items, item, [...path, i], ctx));
}

function checkTagged(spec: TaggedSpec, value: unknown, path: ConfigPath, ctx: ShapeContext): unknown {
  if (!isPlainObject(value)) return bad(ctx, path, `must be a mapping, got ${describeValue(value)}`);
  const tag = value[spec.tag];
  const names = Object.keys(spec.variants);
  const options = names.map((n) => JSON.stringify(n)).join(', ');
  if (tag === undefined) return bad(ctx, path, `missing required key "${spec.tag}" (one of ${options})`);
  const variant =
    typeof tag === 'string' && Object.prototype.hasOwnProperty.call(spec.variants, tag)
      ? spec.variants[tag]
      : undefined;
  if (variant === undefined) {
    const hint = typeof tag === 'string' ? didYouMean(tag, names) : '';
    return bad(ctx, [...path, spec.tag], `must be one of ${options}, got ${describeValue(tag)}${hint}`);
  }
  return checkObject(variant, value, path, ctx);
}

function bad(ctx: ShapeContext, path: ConfigPath, message: string): undefined {
  if (ctx.reported?.has(formatPath(path)) !== true) ctx.problems.push({ path, message });
  return undefined;
}
