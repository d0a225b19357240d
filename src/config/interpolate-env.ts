import { type ConfigPath, formatPath } from './config-path.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface InterpolationResult {
  value: unknown;
  /** Formatted paths of strings that contained a `${...}` reference: numbers and booleans may come from these. */
  interpolated: Set<string>;
  problems: { path: ConfigPath; message: string }[];
}

// `$${X}` is a literal `${X}`; `${NAME}` and `${NAME:-fallback}` read the environment. Anything else with a `$`
// (regex anchors such as `^orders-.*$`, system stream names like `$et-x`) is left alone.
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces `${VAR}` / `${VAR:-default}` in every string value (never in keys) of a parsed config. */
export function interpolateEnv(raw: unknown, env: Env): InterpolationResult {
  const interpolated = new Set<string>();
  const problems: InterpolationResult['problems'] = [];

  const visit = (value: unknown, path: (string | number)[]): unknown => {
    if (typeof value === 'string') return interpolateString(value, path);
    if (Array.isArray(value)) return value.map((item, i) => visit(item, [...path, i]));
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        Object.defineProperty(out, k, {
          value: visit(v, [...path, k]),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  };

  const interpolateString = (text: string, path: ConfigPath): string => {
    if (!text.includes('${')) return text;
    let touched = false;
    const out = text.replace(REFERENCE, (_match, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      touched = true;
      const fromEnv = env[name];
      if (fallback !== undefined) return fromEnv === undefined || fromEnv === '' ? fallback : fromEnv;
      if (fromEnv === undefined) {
        problems.push({
          path,
          message: `environment variable ${name} is not set (write \${${name}:-default} to give a fallback)`,
        });
        // Dropped rather than kept: later checks must not read "${X}" as a template placeholder or a value.
        return '';
      }
      return fromEnv;
    });
    if (touched) interpolated.add(formatPath(path));
    return out;
  };

  return { value: visit(raw, []), interpolated, problems };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
