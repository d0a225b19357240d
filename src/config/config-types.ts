import type { ClusterSettings } from '../coordination/cluster-settings.js';
import type { NodeOptions, ResolvedLinkOptions } from '../link/link-options.js';

/** One problem found in a config: the key path (`links[1].conflicts`) and what is wrong, naming the bad value. */
export interface ConfigProblem {
  path: string;
  message: string;
  /** 1-based line/column in the source file, when known (syntax errors, and keys located in the file). */
  line?: number;
  column?: number;
}

export interface HttpOptions {
  /** @defaultValue '127.0.0.1' */
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** When set, every endpoint but /health/live requires `Authorization: Bearer <token>`. */
  token: string | undefined;
}

/** The validated, defaults-applied, deep-frozen config the daemon runs. */
export interface ResolvedConfig {
  nodes: readonly NodeOptions[];
  links: readonly ResolvedLinkOptions[];
  /** null = no HTTP endpoint. */
  http: HttpOptions | null;
  log: { level: string; format: 'json' | 'pretty' | 'auto' };
  /** How long SIGTERM waits for in-flight appends and checkpoints before forcing. @defaultValue 10_000 */
  shutdownGraceMs: number;
  /** null = no cluster: this process runs every link. */
  cluster: ClusterSettings | null;
  /** Non-fatal findings (for example fan-in links that could write the same destination stream). */
  warnings: readonly ConfigProblem[];
}
