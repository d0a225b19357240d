import type { ResolvedLinkOptions } from '../link/link-options.js';
import { type RawProblem, checkShape } from './check-shape.js';
import { ConfigError } from './config-error.js';
import { type ConfigPath, formatPath } from './config-path.js';
import { configSpec, type IntegerSpec, NAME_PATTERN } from './config-spec.js';
import type { ConfigProblem, ResolvedConfig } from './config-types.js';
import { deepFreeze } from './deep-freeze.js';
import { didYouMean } from './did-you-mean.js';
import { type LinkCandidate, expandLinks } from './expand-topology.js';
import { type Env, interpolateEnv, isPlainObject } from './interpolate-env.js';
import { checkWhereWritten } from './filter-checks.js';
import { expandTemplate, mergeLinkOptions } from './link-layers.js';
import { locatorForText } from './parse-config-source.js';
import { resolveCluster } from './resolve-cluster.js';
import { resolveHttp, resolveLog } from './resolve-runtime-options.js';
import { resolveNodes } from './resolve-nodes.js';
import type { SourceLocator } from './source-locations.js';
import { type BuiltLink, checkTopology } from './topology-checks.js';

const DEFAULT_GRACE_MS = (configSpec.fields.shutdownGraceMs as IntegerSpec).default ?? 10_000;

export interface ResolveOptions {
  /** Environment for `${VAR}` and ESDB_LINKER_* overrides. @defaultValue process.env */
  env?: Env;
  /** The text `raw` was parsed from, so problems can carry line/column. */
  sourceText?: string;
  /** Relative secret file paths resolve against this. @defaultValue process.cwd() */
  baseDir?: string;
  /** Names the source in messages (the config file path). */
  sourceName?: string;
}

/**
 * Validates an in-memory config (already parsed from JSON/YAML, or built in code by the demo and tests) and
 * returns it deep-frozen with every default applied. Throws one ConfigError listing every problem.
 */
export function resolveConfig(raw: unknown, options: ResolveOptions = {}): ResolvedConfig {
  const locator = options.sourceText === undefined ? undefined : locatorForText(options.sourceText);
  return resolveParsedConfig(raw, locator, options);
}

export function resolveParsedConfig(
  raw: unknown,
  locator: SourceLocator | undefined,
  options: ResolveOptions = {},
): ResolvedConfig {
  const env = options.env ?? process.env;
  const baseDir = options.baseDir ?? process.cwd();
  const problems: RawProblem[] = [];
  const warnings: RawProblem[] = [];
  const fail = () => new ConfigError(toProblems(problems, locator), { sourceName: options.sourceName });

  if (raw === null || raw === undefined) {
    problems.push({
      path: [],
      message: 'the config is empty: expected a mapping with "nodes" and "links" or "topology"',
    });
    throw fail();
  }
  const interpolation = interpolateEnv(raw, env);
  problems.push(...interpolation.problems);
  const reported = new Set(interpolation.problems.map((p) => formatPath(p.path)));
  const checked = checkShape(configSpec, interpolation.value, [], {
    problems,
    interpolated: interpolation.interpolated,
    reported,
  });
  if (!isPlainObject(checked)) throw fail();

  const rawNodes = arrayOr(checked.nodes);
  const nodes = resolveNodes(rawNodes, env, baseDir, problems, warnings, reported);
  // Names as written, even invalid ones, so a bad node name is reported once and not again by every link using it.
  const nodeNames = arrayOr(isPlainObject(interpolation.value) ? interpolation.value.nodes : undefined).flatMap((n) =>
    isPlainObject(n) && typeof n.name === 'string' ? [n.name] : [],
  );

  const rawLinks = arrayOr(checked.links);
  const rawTopology = arrayOr(checked.topology);
  const defaults = isPlainObject(checked.defaults) ? checked.defaults : {};
  const candidates = expandLinks(rawLinks, rawTopology, defaults);
  if (rawLinks.length === 0 && rawTopology.length === 0) {
    problems.push({ path: [], message: 'no links: add "links" or "topology" (a preset that expands into links)' });
  }

  const built: BuiltLink[] = [];
  for (const candidate of candidates) {
    const b = buildLink(candidate, nodeNames, problems, warnings);
    if (b !== undefined) built.push(b);
  }
  checkTopology(built, problems, warnings);

  const used = new Set(built.flatMap((b) => [b.link.origin, b.link.destination]));
  // A node may exist only to hold cluster-mode coordination streams.
  const clusterBlock = isPlainObject(checked.cluster) ? checked.cluster : undefined;
  if (typeof clusterBlock?.node === 'string') used.add(clusterBlock.node);
  rawNodes.forEach((n, i) => {
    if (isPlainObject(n) && typeof n.name === 'string' && built.length > 0 && !used.has(n.name)) {
      warnings.push({ path: ['nodes', i], message: `node ${JSON.stringify(n.name)} is not used by any link` });
    }
  });

  const http = resolveHttp(isPlainObject(checked.http) ? checked.http : undefined, env, baseDir, problems, warnings);
  const log = resolveLog(isPlainObject(checked.log) ? checked.log : undefined, env, problems);
  const shutdownGraceMs = typeof checked.shutdownGraceMs === 'number' ? checked.shutdownGraceMs : DEFAULT_GRACE_MS;
  const cluster = resolveCluster(
    isPlainObject(checked.cluster) ? checked.cluster : undefined,
    { env, baseDir, links: built.map((b) => b.link), nodeNames },
    problems,
    warnings,
  );

  if (problems.length > 0) throw fail();
  return deepFreeze({
    nodes,
    links: built.map((b) => b.link),
    http,
    log,
    shutdownGraceMs,
    cluster,
    warnings: toProblems(warnings, locator),
  });
}

function buildLink(
  candidate: LinkCandidate,
  nodeNames: readonly string[],
  problems: RawProblem[],
  warnings: RawProblem[],
): BuiltLink | undefined {
  const { origin, destination } = candidate;
  let ok = true;
  for (const [node, path] of [
    [origin, candidate.originPath],
    [destination, candidate.destinationPath],
  ] as const) {
    if (!nodeNames.includes(node)) {
      ok = false;
      problems.push({
        path,
        message: `unknown node ${JSON.stringify(node)}${didYouMean(node, nodeNames)}; nodes are: ${nodeNames.join(', ') || '(none)'}`,
      });
    }
  }
  if (ok && origin === destination) {
    problems.push({
      path: candidate.sourcePath,
      message: `a link from a node to itself (${origin} -> ${destination}) is not allowed`,
    });
    return undefined;
  }
  if (!ok) return undefined;

  const { options, sources } = mergeLinkOptions(candidate.layers);
  const vars = { origin, destination };
  const nameSource: ConfigPath = [...candidate.sourcePath, 'name'];
  const name = expandTemplate(candidate.nameTemplate ?? '{origin}-to-{destination}', vars);
  if (candidate.nameTemplate !== undefined) sources.set('name', nameSource);
  reportPlaceholders(name.unknown, nameSource, problems);
  if (name.unknown.length === 0 && !NAME_PATTERN.test(name.value)) {
    problems.push({
      path: nameSource,
      message: `expands to ${JSON.stringify(name.value)}; link names may use letters, digits, ".", "_" and "-" only`,
    });
  }

  const prefixSource = sources.get('streamPrefix') ?? candidate.sourcePath;
  const prefix = expandTemplate(options.streamPrefix, vars);
  reportPlaceholders(prefix.unknown, prefixSource, problems);
  if (prefix.value.startsWith('$')) {
    problems.push({
      path: prefixSource,
      message: `expands to ${JSON.stringify(prefix.value)}; a prefix starting with "$" would write system streams`,
    });
  }

  checkRanges(options, sources, candidate.sourcePath, problems, warnings);
  checkWhereWritten({ filter: options.filter, origin }, sources, candidate.sourcePath, nodeNames, problems);
  const link: ResolvedLinkOptions = { name: name.value, origin, destination, ...options, streamPrefix: prefix.value };
  return { link, candidate, sources };
}

function reportPlaceholders(unknown: readonly string[], path: ConfigPath, problems: RawProblem[]): void {
  for (const u of unknown) {
    problems.push({ path, message: `unknown placeholder ${u}; only {origin} and {destination} are replaced` });
  }
}

/** Relations between options that single-key checks cannot see, checked after layering. */
function checkRanges(
  options: Omit<ResolvedLinkOptions, 'name' | 'origin' | 'destination'>,
  sources: Map<string, ConfigPath>,
  linkPath: ConfigPath,
  problems: RawProblem[],
  warnings: RawProblem[],
): void {
  const at = (key: string): ConfigPath => sources.get(key) ?? [...linkPath, key.split('.')[0] ?? key];
  const { batch, retry, buffer } = options;
  if (!(batch.minEvents <= batch.initialEvents && batch.initialEvents <= batch.maxEvents)) {
    const culprit =
      ['batch.initialEvents', 'batch.maxEvents', 'batch.minEvents'].find((k) => sources.has(k)) ?? 'batch';
    problems.push({
      path: at(culprit),
      message:
        `batch sizes must satisfy minEvents <= initialEvents <= maxEvents, got ` +
        `minEvents ${batch.minEvents}, initialEvents ${batch.initialEvents}, maxEvents ${batch.maxEvents}`,
    });
  }
  if (retry.initialDelayMs > retry.maxDelayMs) {
    const culprit = sources.has('retry.initialDelayMs') ? 'retry.initialDelayMs' : 'retry.maxDelayMs';
    problems.push({
      path: at(culprit),
      message: `retry.initialDelayMs (${retry.initialDelayMs}) must be <= retry.maxDelayMs (${retry.maxDelayMs})`,
    });
  }
  if (buffer.maxEvents < batch.maxEvents) {
    warnings.push({
      path: at(sources.has('buffer.maxEvents') ? 'buffer.maxEvents' : 'batch.maxEvents'),
      message: `buffer.maxEvents (${buffer.maxEvents}) is below batch.maxEvents (${batch.maxEvents}): batches can never reach their maximum`,
    });
  }
  if (buffer.maxBytes < batch.maxBytes) {
    warnings.push({
      path: at(sources.has('buffer.maxBytes') ? 'buffer.maxBytes' : 'batch.maxBytes'),
      message: `buffer.maxBytes (${buffer.maxBytes}) is below batch.maxBytes (${batch.maxBytes}): batches can never reach their maximum`,
    });
  }
  if (options.stallTimeoutMs <= retry.maxDelayMs) {
    warnings.push({
      path: at(sources.has('stallTimeoutMs') ? 'stallTimeoutMs' : 'retry.maxDelayMs'),
      message: `stallTimeoutMs (${options.stallTimeoutMs}) is not above retry.maxDelayMs (${retry.maxDelayMs}): a link waiting to retry will be reported stalled`,
    });
  }
}

function arrayOr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Formats paths, adds line/column where the source is known, and drops repeats (a preset's links share paths). */
function toProblems(raw: readonly RawProblem[], locator: SourceLocator | undefined): ConfigProblem[] {
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const p of raw) {
    const path = typeof p.path === 'string' ? p.path : formatPath(p.path);
    const key = `${path}\u0000${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pos = typeof p.path === 'string' || locator === undefined ? undefined : locator.locate(p.path, p.at);
    out.push({ path, message: p.message, ...(pos === undefined ? {} : { line: pos.line, column: pos.column }) });
  }
  return out;
}
