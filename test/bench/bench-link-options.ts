import { resolveConfig } from '../../src/config/load-config.js';
import type { ResolvedLinkOptions } from '../../src/link/link-options.js';

/** Link settings for experiments, e.g. BENCH_LINK_OPTIONS='{"buffer":{"maxEvents":50000}}'; defaults otherwise. */
export const LINK_OVERRIDES = JSON.parse(process.env.BENCH_LINK_OPTIONS ?? '{}') as Record<string, unknown>;

/** A link's resolved options as the daemon's config loader makes them (loopback placeholders for the nodes). */
export function linkOptions(name: string, overrides: Record<string, unknown> = LINK_OVERRIDES): ResolvedLinkOptions {
  const config = resolveConfig(
    {
      nodes: [
        { name: 'origin', connectionString: 'esdb://127.0.0.1:1?tls=false' },
        { name: 'destination', connectionString: 'esdb://127.0.0.1:2?tls=false' },
      ],
      links: [{ name, origin: 'origin', destination: 'destination', ...overrides }],
    },
    { env: {} },
  );
  return config.links[0]!;
}
