import { hostname } from 'node:os';
import { CLUSTER_DEFAULTS, timingProblem, type ClusterSettings } from '../coordination/cluster-settings.js';
import type { ResolvedLinkOptions } from '../link/link-options.js';
import type { RawProblem } from './check-shape.js';
import { NAME_PATTERN } from './config-spec.js';
import type { Env } from './interpolate-env.js';
import { readSecretFile } from './read-secret-file.js';

export const CLUSTER_ENV = {
  member: 'ESDB_LINKER_MEMBER',
  redis: 'ESDB_LINKER_CLUSTER_REDIS',
} as const;

const REDIS_URL = /^rediss?:\/\/[^\s]+$/i;

function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** hostname-pid, made a valid member name (host names may hold characters member names do not). */
export function defaultMemberId(host = hostname(), pid = process.pid): string {
  const clean = host.replace(/[^A-Za-z0-9_.-]/g, '-') || 'member';
  return `${clean}-${pid}`;
}

/**
 * The `cluster` section, or null when absent. The member id comes from ESDB_LINKER_MEMBER, `cluster.member`,
 * or hostname-pid; the Redis URL from ESDB_LINKER_CLUSTER_REDIS, `cluster.redis` or `cluster.redisFile`.
 */
export function resolveCluster(
  block: Record<string, unknown> | undefined,
  context: { env: Env; baseDir: string; links: readonly ResolvedLinkOptions[]; nodeNames: readonly string[] },
  problems: RawProblem[],
  warnings: RawProblem[],
): ClusterSettings | null {
  if (block === undefined) return null;
  const { env } = context;
  const num = (key: keyof typeof CLUSTER_DEFAULTS): number =>
    typeof block[key] === 'number' ? block[key] : (CLUSTER_DEFAULTS[key] as number);
  const coordination = block.coordination === 'redis' ? 'redis' : 'kurrentdb';

  let member = typeof block.member === 'string' ? block.member : defaultMemberId();
  const envMember = envValue(env, CLUSTER_ENV.member);
  if (envMember !== undefined) {
    if (NAME_PATTERN.test(envMember)) member = envMember;
    else
      problems.push({
        path: `environment variable ${CLUSTER_ENV.member}`,
        message: `must use letters, digits, ".", "_" and "-" only, got ${JSON.stringify(envMember)}`,
      });
  }

  let node: string | null = null;
  let redisUrl: string | null = null;
  if (coordination === 'kurrentdb') {
    node = typeof block.node === 'string' ? block.node : (context.links[0]?.destination ?? null);
    if (typeof block.node === 'string' && !context.nodeNames.includes(block.node)) {
      problems.push({
        path: ['cluster', 'node'],
        message: `unknown node ${JSON.stringify(block.node)}; nodes are: ${context.nodeNames.join(', ') || '(none)'}`,
      });
    }
    for (const key of ['redis', 'redisFile'] as const) {
      if (block[key] !== undefined)
        warnings.push({ path: ['cluster', key], message: 'is ignored: coordination is "kurrentdb"' });
    }
  } else {
    if (block.node !== undefined)
      warnings.push({ path: ['cluster', 'node'], message: 'is ignored: coordination is "redis"' });
    if (block.redis !== undefined && block.redisFile !== undefined)
      problems.push({ path: ['cluster'], message: 'sets both redis and redisFile; keep one' });
    const envUrl = envValue(env, CLUSTER_ENV.redis);
    let where: RawProblem['path'] = ['cluster', 'redis'];
    if (envUrl !== undefined) {
      redisUrl = envUrl;
      where = `environment variable ${CLUSTER_ENV.redis}`;
    } else if (typeof block.redis === 'string') {
      redisUrl = block.redis;
    } else if (typeof block.redisFile === 'string') {
      where = ['cluster', 'redisFile'];
      const read = readSecretFile(block.redisFile, context.baseDir);
      if ('error' in read) problems.push({ path: where, message: read.error });
      else redisUrl = read.value;
    } else {
      problems.push({
        path: ['cluster'],
        message: `coordination "redis" needs the server: set redis, redisFile or ${CLUSTER_ENV.redis}`,
      });
    }
    if (redisUrl !== null && !REDIS_URL.test(redisUrl)) {
      // Never echo the value: it may carry a password.
      problems.push({ path: where, message: 'must be a redis:// or rediss:// URL' });
      redisUrl = null;
    }
  }

  const settings: ClusterSettings = {
    coordination,
    node,
    redisUrl,
    name: typeof block.name === 'string' ? block.name : CLUSTER_DEFAULTS.name,
    member,
    leaseTtlMs: num('leaseTtlMs'),
    renewIntervalMs: num('renewIntervalMs'),
    giveUpAfterMs: num('giveUpAfterMs'),
    rebalanceDelayMs: num('rebalanceDelayMs'),
  };
  const timing = timingProblem(settings);
  if (timing !== null) {
    const culprit = ['giveUpAfterMs', 'renewIntervalMs', 'leaseTtlMs'].find((k) => block[k] !== undefined);
    problems.push({ path: ['cluster', ...(culprit ? [culprit] : [])], message: timing });
  }
  return settings;
}
