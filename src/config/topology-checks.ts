import type { ResolvedLinkOptions } from '../link/link-options.js';
import type { RawProblem } from './check-shape.js';
import { type ConfigPath, formatPath } from './config-path.js';
import type { LinkCandidate } from './expand-topology.js';

export interface BuiltLink {
  link: ResolvedLinkOptions;
  candidate: LinkCandidate;
  /** Where each option came from; absent = built-in default. */
  sources: Map<string, ConfigPath>;
}

const arrow = (l: ResolvedLinkOptions): string => `${l.origin} -> ${l.destination}`;
const where = (b: BuiltLink): string => formatPath(b.candidate.sourcePath);

/**
 * Whole-topology rules: no duplicate links or names, no cycle that loop prevention cannot break; and a warning
 * for fan-in links whose origins could write the same destination stream.
 */
export function checkTopology(built: readonly BuiltLink[], problems: RawProblem[], warnings: RawProblem[]): void {
  const duplicates = checkDuplicates(built, problems, warnings);
  checkNames(built, duplicates, problems);
  checkCycles(built, problems);
  warnFanIn(built, warnings);
}

function checkDuplicates(built: readonly BuiltLink[], problems: RawProblem[], warnings: RawProblem[]): Set<BuiltLink> {
  const seen = new Map<string, BuiltLink[]>();
  const dups = new Set<BuiltLink>();
  for (const b of built) {
    const key = JSON.stringify([b.link.origin, b.link.destination, b.link.streamPrefix]);
    const earlier = seen.get(key) ?? [];
    seen.set(key, [...earlier, b]);
    const prefix = b.link.streamPrefix === '' ? '' : ` and streamPrefix ${JSON.stringify(b.link.streamPrefix)}`;
    for (const first of earlier) {
      // Several links on one pair split its streams (e.g. over cluster members) when their filters are disjoint.
      const overlap = streamOverlap(first.link.filter, b.link.filter);
      if (overlap === 'disjoint') continue;
      if (overlap === 'same') {
        dups.add(b);
        problems.push({
          path: b.candidate.sourcePath,
          message:
            `the link ${arrow(b.link)}${prefix} is defined twice (also by ${where(first)}); ` +
            'remove one, give them different streamPrefix values, or disjoint stream filters ' +
            '(filter.includeStreamPrefixes / excludeStreamPrefixes)',
        });
        break;
      }
      warnings.push({
        path: b.candidate.sourcePath,
        message:
          `the links ${arrow(b.link)} (${where(first)} and ${where(b)}) may copy the same streams: their stream ` +
          'filters use regular expressions or overlapping prefixes; make them disjoint with ' +
          'filter.includeStreamPrefixes / excludeStreamPrefixes',
      });
    }
  }
  return dups;
}

type StreamFilter = ResolvedLinkOptions['filter'];

/**
 * Whether two links' stream filters can select the same stream: `disjoint` only when provable from prefixes,
 * `same` when the stream filters are identical, `maybe` otherwise (regexes are not compared).
 */
export function streamOverlap(a: StreamFilter, b: StreamFilter): 'disjoint' | 'same' | 'maybe' {
  if (disjointIncludes(a.includeStreamPrefixes, b.includeStreamPrefixes)) return 'disjoint';
  if (excludedBy(a, b) || excludedBy(b, a)) return 'disjoint';
  const streamKeys = (f: StreamFilter) =>
    JSON.stringify([
      [...f.includeStreamPrefixes].sort(),
      f.includeStreamRegex ?? null,
      [...f.excludeStreamPrefixes].sort(),
      f.excludeStreamRegex ?? null,
    ]);
  return streamKeys(a) === streamKeys(b) ? 'same' : 'maybe';
}

/** Every stream `a` includes starts with a prefix `b` excludes. */
function excludedBy(a: StreamFilter, b: StreamFilter): boolean {
  if (a.includeStreamPrefixes.length === 0 || b.excludeStreamPrefixes.length === 0) return false;
  return a.includeStreamPrefixes.every((p) => b.excludeStreamPrefixes.some((q) => p.startsWith(q)));
}

function checkNames(built: readonly BuiltLink[], duplicates: ReadonlySet<BuiltLink>, problems: RawProblem[]): void {
  const byName = new Map<string, BuiltLink>();
  for (const b of built) {
    const first = byName.get(b.link.name);
    if (first === undefined) {
      byName.set(b.link.name, b);
      continue;
    }
    if (duplicates.has(b)) continue;
    const path = b.sources.get('name') ?? b.candidate.sourcePath;
    problems.push({
      path,
      message:
        `link name ${JSON.stringify(b.link.name)} (${arrow(b.link)}) is already used by ${where(first)} ` +
        `(${arrow(first.link)}); set a distinct "name" (names the checkpoint stream)`,
    });
  }
}

/**
 * Loop prevention drops an event whose `$origin` already names the link's destination, which only works when
 * every link on a cycle annotates. A link with `annotate: false` on a cycle would copy events round forever.
 */
function checkCycles(built: readonly BuiltLink[], problems: RawProblem[]): void {
  const out = new Map<string, string[]>();
  for (const b of built) {
    const list = out.get(b.link.origin) ?? [];
    list.push(b.link.destination);
    out.set(b.link.origin, list);
  }
  const reported = new Set<string>();
  for (const b of built) {
    if (b.link.annotate) continue;
    const back = findPath(out, b.link.destination, b.link.origin);
    if (back === undefined) continue;
    const path = b.sources.get('annotate') ?? b.candidate.sourcePath;
    const key = formatPath(path);
    if (reported.has(key)) continue;
    reported.add(key);
    const cycle = [b.link.origin, ...back].join(' -> ');
    problems.push({
      path,
      message:
        `annotate is false for ${arrow(b.link)} (${where(b)}), but that link is on the cycle ${cycle}; ` +
        'loop prevention needs every link on a cycle to annotate, so events would be copied round forever',
    });
  }
}

/** Shortest node path from -> to (inclusive) over the link graph, or undefined. */
function findPath(out: Map<string, string[]>, from: string, to: string): string[] | undefined {
  const parent = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    if (node === to) {
      const path: string[] = [];
      for (let n: string | null | undefined = node; n !== null && n !== undefined; n = parent.get(n)) path.unshift(n);
      return path;
    }
    for (const next of out.get(node) ?? []) {
      if (!parent.has(next)) {
        parent.set(next, node);
        queue.push(next);
      }
    }
  }
  return undefined;
}

function warnFanIn(built: readonly BuiltLink[], warnings: RawProblem[]): void {
  const pairs = new Set(built.map((b) => `${b.link.origin}\u0000${b.link.destination}`));
  const replicasOfEachOther = (a: string, b: string) => pairs.has(`${a}\u0000${b}`) && pairs.has(`${b}\u0000${a}`);
  const reported = new Set<string>();
  for (let j = 0; j < built.length; j++) {
    const bj = built[j] as BuiltLink;
    for (let i = 0; i < j; i++) {
      const bi = built[i] as BuiltLink;
      if (bi.link.destination !== bj.link.destination || bi.link.origin === bj.link.origin) continue;
      if (bi.link.streamPrefix !== bj.link.streamPrefix) continue;
      if (disjointIncludes(bi.link.filter.includeStreamPrefixes, bj.link.filter.includeStreamPrefixes)) continue;
      // Nodes that replicate both ways hold the same streams on purpose; conflicts there are the conflict policy's job.
      if (replicasOfEachOther(bi.link.origin, bj.link.origin)) continue;
      const path = bj.candidate.sourcePath;
      const key = `${formatPath(path)}\u0000${formatPath(bi.candidate.sourcePath)}`;
      if (reported.has(key)) continue;
      reported.add(key);
      warnings.push({
        path,
        message:
          `${arrow(bi.link)} (${where(bi)}) and ${arrow(bj.link)} (${where(bj)}) can write the same streams in ` +
          `${bj.link.destination}: give them distinct streamPrefix values (e.g. "{origin}.") or disjoint ` +
          'filter.includeStreamPrefixes',
      });
    }
  }
}

function disjointIncludes(a: readonly string[], b: readonly string[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  return a.every((p) => b.every((q) => !p.startsWith(q) && !q.startsWith(p)));
}
