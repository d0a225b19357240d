import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { describeReadError } from './describe-read-error.js';
import { CONFIG_UNREADABLE, ConfigError } from './config-error.js';
import type { ResolvedConfig } from './config-types.js';
import type { Env } from './interpolate-env.js';
import { formatForPath, parseConfigSource } from './parse-config-source.js';
import { resolveParsedConfig } from './resolve-config.js';

/**
 * Reads, parses (JSON for `.json`, YAML otherwise), validates and resolves a config file. Relative secret file
 * paths resolve against the config file's directory. Throws ConfigError (ESDBL_CONFIG_UNREADABLE when the file
 * cannot be read, ESDBL_CONFIG_INVALID listing every problem otherwise).
 */
export async function loadConfig(path: string, env: Env = process.env): Promise<ResolvedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = describeReadError(err, String(err));
    throw new ConfigError([{ path: '', message: `cannot read config file ${JSON.stringify(path)}: ${reason}` }], {
      code: CONFIG_UNREADABLE,
      cause: err,
    });
  }
  const parsed = parseConfigSource(text, formatForPath(path), path);
  return resolveParsedConfig(parsed.value, parsed.locator, {
    env,
    baseDir: dirname(resolve(path)),
    sourceName: path,
  });
}

// The in-memory entry point lives next to the file one, so callers can import both from here.
export { resolveConfig, type ResolveOptions } from './resolve-config.js';
