import type { ResolvedLinkOptions } from '../link/link-options.js';
import type { ConfigPath } from './config-path.js';
import { type FieldSpec, linkOptionFields } from './config-spec.js';
import { isPlainObject } from './interpolate-env.js';

/** One source of link options, most specific first: the link or preset entry, then `defaults`. */
export interface OptionLayer {
  values: Record<string, unknown>;
  path: ConfigPath;
}

export interface MergedLinkOptions {
  /** Every ResolvedLinkOptions field but name/origin/destination, defaults applied. */
  options: Omit<ResolvedLinkOptions, 'name' | 'origin' | 'destination'>;
  /** Where each option came from (`batch.maxEvents` -> `['defaults','batch','maxEvents']`); absent = built-in default. */
  sources: Map<string, ConfigPath>;
}

/** Layers options field by field (nested groups such as `batch` merge per key) and fills built-in defaults. */
export function mergeLinkOptions(layers: readonly OptionLayer[]): MergedLinkOptions {
  const sources = new Map<string, ConfigPath>();
  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(linkOptionFields)) {
    options[key] = mergeField(
      key,
      spec,
      layers.map((l) => ({ value: l.values[key], path: [...l.path, key] })),
      sources,
    );
  }
  return { options: options as MergedLinkOptions['options'], sources };
}

function mergeField(
  label: string,
  spec: FieldSpec,
  candidates: { value: unknown; path: ConfigPath }[],
  sources: Map<string, ConfigPath>,
): unknown {
  if (spec.kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(spec.fields)) {
      out[key] = mergeField(
        `${label}.${key}`,
        child,
        candidates.map((c) => ({ value: isPlainObject(c.value) ? c.value[key] : undefined, path: [...c.path, key] })),
        sources,
      );
    }
    return out;
  }
  const given = candidates.find((c) => c.value !== undefined);
  if (given !== undefined) {
    sources.set(label, given.path);
    return Array.isArray(given.value) ? [...(given.value as unknown[])] : given.value;
  }
  if (spec.kind === 'string-list' || spec.kind === 'metadata-rules') return [...(spec.default ?? [])];
  return 'default' in spec ? spec.default : undefined;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** Expands `{origin}` / `{destination}`; any other `{...}` is a mistake worth reporting. */
export function expandTemplate(
  template: string,
  vars: { origin: string; destination: string },
): { value: string; unknown: string[] } {
  const unknown: string[] = [];
  const value = template.replace(PLACEHOLDER, (match, name: string) => {
    if (name === 'origin') return vars.origin;
    if (name === 'destination') return vars.destination;
    unknown.push(match);
    return match;
  });
  return { value, unknown };
}
