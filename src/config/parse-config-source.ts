import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, LineCounter, parseDocument } from 'yaml';
import { ConfigError } from './config-error.js';
import type { ConfigProblem } from './config-types.js';
import { JsonSyntaxError, parseJsonSource } from './parse-json-source.js';
import { LineIndex, type LocationNode, newLocationNode, SourceLocator } from './source-locations.js';

export type ConfigFormat = 'json' | 'yaml';

export interface ParsedConfigSource {
  value: unknown;
  locator: SourceLocator;
}

/** `.json` is strict JSON; everything else (`.yaml`, `.yml`, no extension) is YAML 1.2, a superset of JSON. */
export function formatForPath(path: string): ConfigFormat {
  return /\.json$/i.test(path) ? 'json' : 'yaml';
}

/**
 * Parses config text and records where each key and value sits, so later problems can name a line and column.
 * Syntax errors throw a ConfigError whose problems carry line/column.
 */
export function parseConfigSource(text: string, format: ConfigFormat, sourceName?: string): ParsedConfigSource {
  const lines = new LineIndex(text);
  if (format === 'json') {
    try {
      const { value, locations } = parseJsonSource(text);
      return { value, locator: new SourceLocator(locations, lines) };
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      const pos = lines.position(err.offset);
      throw new ConfigError([{ path: '', message: `invalid JSON: ${err.message}`, ...pos }], { sourceName });
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true });
  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      // prettyErrors appends " at line L, column C:" and a source excerpt; the position is reported separately.
      const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
      return { path: '', message: `invalid YAML: ${message}`, ...(pos ? { line: pos.line, column: pos.col } : {}) };
    });
    throw new ConfigError(problems, { sourceName });
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError(
      [{ path: '', message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }],
      {
        sourceName,
      },
    );
  }
  const root = yamlLocations(doc, doc.contents, undefined, 0);
  return { value, locator: new SourceLocator(root, lines) };
}

/** Location tree for an in-memory config whose text is known (YAML's parser reads JSON text too). */
export function locatorForText(text: string): SourceLocator | undefined {
  const doc = parseDocument(text, { uniqueKeys: false, merge: true });
  if (doc.errors.length > 0) return undefined;
  return new SourceLocator(yamlLocations(doc, doc.contents, undefined, 0), new LineIndex(text));
}

function yamlLocations(doc: Document, node: unknown, keyOffset: number | undefined, depth: number): LocationNode {
  const resolved = isAlias(node) ? node.resolve(doc) : node;
  const range = (resolved as Node | null | undefined)?.range;
  const loc = newLocationNode(range?.[0] ?? keyOffset ?? 0, keyOffset);
  // Aliases can nest; a config never needs more than a few levels, and this keeps a self-referencing anchor finite.
  if (depth > 64) return loc;
  if (isMap(resolved)) {
    for (const pair of resolved.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) continue;
      const keyStart = (pair.key as Node).range?.[0];
      loc.children.set(key, yamlLocations(doc, pair.value, keyStart, depth + 1));
    }
  } else if (isSeq(resolved)) {
    resolved.items.forEach((item, i) => loc.children.set(i, yamlLocations(doc, item, undefined, depth + 1)));
  }
  return loc;
}
