import type { ConfigPath } from './config-path.js';
import { isPlainObject } from './interpolate-env.js';
import type { OptionLayer } from './link-layers.js';

/** A link before defaults and checks: where it came from and the option layers that apply to it. */
export interface LinkCandidate {
  origin: string;
  destination: string;
  originPath: ConfigPath;
  destinationPath: ConfigPath;
  /** The entry that produced it: `['links', 1]` or `['topology', 0]`. */
  sourcePath: ConfigPath;
  /** `name` as written (may hold placeholders); undefined = `{origin}-to-{destination}`. */
  nameTemplate: string | undefined;
  layers: OptionLayer[];
}

const PRESET_KEYS = new Set(['type', 'name', 'nodes', 'origin', 'destination', 'origins', 'destinations']);
const LINK_KEYS = new Set(['name', 'origin', 'destination']);

/**
 * Turns explicit links and topology presets (already shape-checked) into link candidates, in file order:
 * explicit links first, then each preset's links in the order its node lists give.
 */
export function expandLinks(
  links: readonly unknown[],
  topology: readonly unknown[],
  defaults: Record<string, unknown>,
): LinkCandidate[] {
  const out: LinkCandidate[] = [];
  const defaultsLayer: OptionLayer = { values: defaults, path: ['defaults'] };

  links.forEach((entry, i) => {
    if (!isPlainObject(entry)) return;
    const { origin, destination } = entry;
    if (typeof origin !== 'string' || typeof destination !== 'string') return;
    const sourcePath = ['links', i];
    out.push({
      origin,
      destination,
      originPath: [...sourcePath, 'origin'],
      destinationPath: [...sourcePath, 'destination'],
      sourcePath,
      nameTemplate: typeof entry.name === 'string' ? entry.name : undefined,
      layers: [{ values: without(entry, LINK_KEYS), path: sourcePath }, defaultsLayer],
    });
  });

  topology.forEach((entry, i) => {
    if (!isPlainObject(entry)) return;
    const sourcePath = ['topology', i];
    const layers = [{ values: without(entry, PRESET_KEYS), path: sourcePath }, defaultsLayer];
    const nameTemplate = typeof entry.name === 'string' ? entry.name : undefined;
    for (const pair of presetPairs(entry)) {
      out.push({
        origin: pair.origin,
        destination: pair.destination,
        originPath: [...sourcePath, ...pair.originKey],
        destinationPath: [...sourcePath, ...pair.destinationKey],
        sourcePath,
        nameTemplate,
        layers,
      });
    }
  });
  return out;
}

interface PresetPair {
  origin: string;
  destination: string;
  originKey: ConfigPath;
  destinationKey: ConfigPath;
}

function presetPairs(entry: Record<string, unknown>): PresetPair[] {
  const pairs: PresetPair[] = [];
  const strings = (v: unknown): string[] | undefined =>
    Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  switch (entry.type) {
    case 'active-passive':
      if (typeof entry.origin === 'string' && typeof entry.destination === 'string') {
        pairs.push({
          origin: entry.origin,
          destination: entry.destination,
          originKey: ['origin'],
          destinationKey: ['destination'],
        });
      }
      break;
    case 'active-active': {
      const nodes = strings(entry.nodes) ?? [];
      nodes.forEach((a, i) =>
        nodes.forEach((b, j) => {
          if (i !== j) pairs.push({ origin: a, destination: b, originKey: ['nodes', i], destinationKey: ['nodes', j] });
        }),
      );
      break;
    }
    case 'chain': {
      const nodes = strings(entry.nodes) ?? [];
      for (let i = 0; i + 1 < nodes.length; i++) {
        pairs.push({
          origin: nodes[i] ?? '',
          destination: nodes[i + 1] ?? '',
          originKey: ['nodes', i],
          destinationKey: ['nodes', i + 1],
        });
      }
      break;
    }
    case 'fan-in':
      if (typeof entry.destination === 'string') {
        const destination = entry.destination;
        (strings(entry.origins) ?? []).forEach((origin, i) =>
          pairs.push({ origin, destination, originKey: ['origins', i], destinationKey: ['destination'] }),
        );
      }
      break;
    case 'fan-out':
      if (typeof entry.origin === 'string') {
        const origin = entry.origin;
        (strings(entry.destinations) ?? []).forEach((destination, i) =>
          pairs.push({ origin, destination, originKey: ['origin'], destinationKey: ['destinations', i] }),
        );
      }
      break;
  }
  return pairs;
}

function without(entry: Record<string, unknown>, keys: ReadonlySet<string>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([k]) => !keys.has(k)));
}
