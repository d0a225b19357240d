import type { RawProblem } from './check-shape.js';
import { httpSpec, type IntegerSpec, LOG_LEVELS, logSpec, type StringSpec } from './config-spec.js';
import type { HttpOptions, ResolvedConfig } from './config-types.js';
import type { Env } from './interpolate-env.js';
import { readSecretFile } from './read-secret-file.js';

/** Environment variables that override the file; an empty value counts as unset (compose files pass those). */
export const ENV = {
  httpHost: 'ESDB_LINKER_HTTP_HOST',
  httpPort: 'ESDB_LINKER_HTTP_PORT',
  httpToken: 'ESDB_LINKER_HTTP_TOKEN',
  httpTokenFile: 'ESDB_LINKER_HTTP_TOKEN_FILE',
  logLevel: 'ESDB_LINKER_LOG_LEVEL',
  logFormat: 'ESDB_LINKER_LOG_FORMAT',
} as const;

const DEFAULT_PORT = (httpSpec.fields.port as IntegerSpec).default ?? 0;
const DEFAULT_HOST = (httpSpec.fields.host as StringSpec).default ?? '127.0.0.1';
const DEFAULT_LEVEL = (logSpec.fields.level as StringSpec).default ?? 'info';
const DEFAULT_FORMAT = ((logSpec.fields.format as StringSpec).default ?? 'auto') as ResolvedConfig['log']['format'];

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

function envValue(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

const envPath = (name: string) => `environment variable ${name}`;

/**
 * The HTTP endpoint: on when the file has an `http` block or ESDB_LINKER_HTTP_PORT/HOST is set. The token comes
 * from (first wins) ESDB_LINKER_HTTP_TOKEN, ESDB_LINKER_HTTP_TOKEN_FILE, `http.token`, `http.tokenFile`.
 */
export function resolveHttp(
  http: Record<string, unknown> | undefined,
  env: Env,
  baseDir: string,
  problems: RawProblem[],
  warnings: RawProblem[],
): HttpOptions | null {
  const envPort = envValue(env, ENV.httpPort);
  const envHost = envValue(env, ENV.httpHost);
  if (http === undefined && envPort === undefined && envHost === undefined) {
    for (const name of [ENV.httpToken, ENV.httpTokenFile]) {
      if (envValue(env, name) !== undefined) {
        warnings.push({
          path: envPath(name),
          message: `is set but there is no HTTP endpoint (add an "http" block or set ${ENV.httpPort}); it is ignored`,
        });
      }
    }
    return null;
  }
  const block = http ?? {};
  let port = typeof block.port === 'number' ? block.port : DEFAULT_PORT;
  if (envPort !== undefined) {
    const n = Number(envPort);
    if (!/^\d+$/.test(envPort) || n > 65_535) {
      problems.push({
        path: envPath(ENV.httpPort),
        message: `must be a port number 0..65535, got ${JSON.stringify(envPort)}`,
      });
    } else {
      port = n;
    }
  }
  const host = envHost ?? (typeof block.host === 'string' ? block.host : DEFAULT_HOST);

  if (block.token !== undefined && block.tokenFile !== undefined) {
    problems.push({ path: ['http'], message: 'sets both token and tokenFile; keep one' });
  }
  let token: string | undefined;
  const envToken = envValue(env, ENV.httpToken);
  const envTokenFile = envValue(env, ENV.httpTokenFile);
  if (envToken !== undefined) {
    token = envToken;
  } else if (envTokenFile !== undefined) {
    token = readToken(envTokenFile, envPath(ENV.httpTokenFile), baseDir, problems);
  } else if (typeof block.token === 'string') {
    token = block.token;
  } else if (typeof block.tokenFile === 'string') {
    token = readToken(block.tokenFile, ['http', 'tokenFile'], baseDir, problems);
  }
  if (token === undefined && !LOOPBACK.test(host)) {
    warnings.push({
      path: envHost !== undefined ? envPath(ENV.httpHost) : ['http', 'host'],
      message: `the HTTP endpoint listens on ${JSON.stringify(host)} without a token: anyone who can reach it sees the status API; set http.token or http.tokenFile`,
    });
  }
  return { host, port, token };
}

function readToken(
  file: string,
  path: RawProblem['path'],
  baseDir: string,
  problems: RawProblem[],
): string | undefined {
  const read = readSecretFile(file, baseDir);
  if ('error' in read) {
    problems.push({ path, message: read.error });
    return undefined;
  }
  return read.value;
}

export function resolveLog(
  log: Record<string, unknown> | undefined,
  env: Env,
  problems: RawProblem[],
): ResolvedConfig['log'] {
  const block = log ?? {};
  let level = typeof block.level === 'string' ? block.level : DEFAULT_LEVEL;
  let format = typeof block.format === 'string' ? (block.format as ResolvedConfig['log']['format']) : DEFAULT_FORMAT;
  const envLevel = envValue(env, ENV.logLevel);
  if (envLevel !== undefined) {
    if ((LOG_LEVELS as readonly string[]).includes(envLevel.toLowerCase())) level = envLevel.toLowerCase();
    else
      problems.push({
        path: envPath(ENV.logLevel),
        message: `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(envLevel)}`,
      });
  }
  const envFormat = envValue(env, ENV.logFormat);
  if (envFormat !== undefined) {
    if (envFormat === 'json' || envFormat === 'pretty' || envFormat === 'auto') format = envFormat;
    else
      problems.push({
        path: envPath(ENV.logFormat),
        message: `must be one of json, pretty, auto, got ${JSON.stringify(envFormat)}`,
      });
  }
  return { level, format };
}
