import type { NodeOptions } from '../link/link-options.js';
import type { RawProblem } from './check-shape.js';
import { formatPath } from './config-path.js';
import { checkConnectionString, showConnectionString } from './connection-string.js';
import { isPlainObject, type Env } from './interpolate-env.js';
import { NODE_PREFERENCES, applyNodePreference, type NodePreference } from './node-preference.js';
import { readSecretFile } from './read-secret-file.js';

const PREFIX = 'ESDB_LINKER_NODE_';
const SUFFIX = '_CONNECTION_STRING';

/** `dc-1` -> `ESDB_LINKER_NODE_DC_1_CONNECTION_STRING`. */
export function nodeEnvVar(name: string): string {
  return `${PREFIX}${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}${SUFFIX}`;
}

/**
 * Resolves each node's connection string: the per-node environment variable wins, then `connectionString`, then
 * `connectionStringFile`. Every string is checked with the client's parser; problems name the node and never
 * show credentials.
 */
export function resolveNodes(
  nodes: readonly unknown[],
  env: Env,
  baseDir: string,
  problems: RawProblem[],
  warnings: RawProblem[],
  /** Formatted paths already reported (an unset `${VAR}`): those nodes are not checked again. */
  reported: ReadonlySet<string> = new Set(),
): NodeOptions[] {
  const out: NodeOptions[] = [];
  const byName = new Map<string, number>();
  const byVar = new Map<string, string>();
  nodes.forEach((entry, i) => {
    if (!isPlainObject(entry) || typeof entry.name !== 'string') return;
    const name = entry.name;
    const first = byName.get(name);
    if (first !== undefined) {
      problems.push({
        path: ['nodes', i, 'name'],
        message: `duplicate node name ${JSON.stringify(name)} (also nodes[${first}])`,
      });
      return;
    }
    byName.set(name, i);
    const envVar = nodeEnvVar(name);
    const sharing = byVar.get(envVar);
    if (sharing !== undefined) {
      const list = env[envVar] !== undefined && env[envVar] !== '' ? problems : warnings;
      list.push({
        path: ['nodes', i, 'name'],
        message: `nodes ${JSON.stringify(sharing)} and ${JSON.stringify(name)} share the override variable ${envVar}; rename one`,
      });
    }
    byVar.set(envVar, name);
    const alreadyReported = ['connectionString', 'connectionStringFile'].some((k) =>
      reported.has(formatPath(['nodes', i, k])),
    );
    if (alreadyReported) return;
    const cs = connectionStringOf(entry, i, name, envVar, env, baseDir, problems);
    if (cs === undefined) return;
    const check = checkConnectionString(cs.value);
    if (check.error !== undefined) {
      problems.push({
        path: cs.path,
        message: `${showConnectionString(cs.value)} for node ${JSON.stringify(name)} ${check.error}`,
      });
      return;
    }
    for (const w of check.warnings) warnings.push({ path: cs.path, message: `node ${JSON.stringify(name)}: ${w}` });
    let connectionString = cs.value;
    const preference = entry.nodePreference;
    // Anything outside the enum was already reported by the shape check.
    if (typeof preference === 'string' && (NODE_PREFERENCES as readonly string[]).includes(preference)) {
      const applied = applyNodePreference(connectionString, preference as NodePreference);
      if (applied.error !== undefined) {
        problems.push({
          path: cs.path,
          message: `${showConnectionString(cs.value)} for node ${JSON.stringify(name)} ${applied.error}`,
        });
        return;
      }
      if (applied.warning !== undefined) {
        warnings.push({
          path: ['nodes', i, 'nodePreference'],
          message: `node ${JSON.stringify(name)}: ${applied.warning}`,
        });
      }
      connectionString = applied.value;
    }
    out.push({ name, connectionString });
  });

  for (const key of Object.keys(env)) {
    if (!key.startsWith(PREFIX) || !key.endsWith(SUFFIX) || env[key] === undefined || env[key] === '') continue;
    if (!byVar.has(key)) {
      warnings.push({
        path: `environment variable ${key}`,
        message: `matches no node (nodes: ${[...byName.keys()].join(', ')}); it is ignored`,
      });
    }
  }
  return out;
}

function connectionStringOf(
  entry: Record<string, unknown>,
  i: number,
  name: string,
  envVar: string,
  env: Env,
  baseDir: string,
  problems: RawProblem[],
): { value: string; path: RawProblem['path'] } | undefined {
  const inline = entry.connectionString;
  const file = entry.connectionStringFile;
  if (inline !== undefined && file !== undefined) {
    problems.push({
      path: ['nodes', i],
      message: `node ${JSON.stringify(name)} sets both connectionString and connectionStringFile; keep one`,
    });
    return undefined;
  }
  const fromEnv = env[envVar];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { value: fromEnv.trim(), path: `environment variable ${envVar}` };
  }
  if (typeof inline === 'string') return { value: inline, path: ['nodes', i, 'connectionString'] };
  if (typeof file === 'string') {
    const read = readSecretFile(file, baseDir);
    if ('error' in read) {
      problems.push({
        path: ['nodes', i, 'connectionStringFile'],
        message: `${read.error} (connection string of node ${JSON.stringify(name)})`,
      });
      return undefined;
    }
    return { value: read.value, path: ['nodes', i, 'connectionStringFile'] };
  }
  // A shape problem (wrong type) was already reported; only report the truly missing case.
  if (inline === undefined && file === undefined) {
    problems.push({
      path: ['nodes', i],
      message: `node ${JSON.stringify(name)} has no connection string: set connectionString, connectionStringFile or ${envVar}`,
    });
  }
  return undefined;
}
