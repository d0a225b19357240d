import type { ResolvedConfig } from '../config/config-types.js';
import { loadConfig } from '../config/load-config.js';
import type { NodeOptions, ResolvedLinkOptions } from '../link/link-options.js';
import { LinkerError } from '../shared/errors.js';

/** One link of a config with its two nodes: what `verify`, `checkpoint` and `conflicts` act on. */
export interface LinkTarget {
  config: ResolvedConfig;
  link: ResolvedLinkOptions;
  origin: NodeOptions;
  destination: NodeOptions;
}

export const UNKNOWN_LINK = 'ESDBL_TOOLS_UNKNOWN_LINK';

/** Finds a link by name; an unknown name is refused with the list of valid names. */
export function findLinkTarget(config: ResolvedConfig, linkName: string): LinkTarget {
  const link = config.links.find((l) => l.name === linkName);
  if (!link) {
    const names = config.links.map((l) => l.name);
    throw new LinkerError(
      UNKNOWN_LINK,
      `no link named ${JSON.stringify(linkName)} in the config; valid link names: ${names.join(', ') || '(none)'}`,
      { details: { link: linkName, validLinks: names } },
    );
  }
  const origin = config.nodes.find((n) => n.name === link.origin);
  const destination = config.nodes.find((n) => n.name === link.destination);
  // A resolved config only has links between its own nodes; reaching this is a bug, not bad input.
  if (!origin || !destination) throw new Error(`link ${link.name} names a node the config does not define`);
  return { config, link, origin, destination };
}

export async function loadLinkTarget(
  configPath: string,
  linkName: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LinkTarget> {
  return findLinkTarget(await loadConfig(configPath, env), linkName);
}
