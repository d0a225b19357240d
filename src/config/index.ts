// Public surface of src/config: the daemon, the CLI and the demo import from here.
export { CONFIG_INVALID, CONFIG_UNREADABLE, ConfigError, formatProblem } from './config-error.js';
export type { ConfigProblem, HttpOptions, ResolvedConfig } from './config-types.js';
export { loadConfig } from './load-config.js';
export { redactConfig } from './redact-config.js';
export { type ResolveOptions, resolveConfig } from './resolve-config.js';
export { nodeEnvVar } from './resolve-nodes.js';
