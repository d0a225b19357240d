import type { ResolvedLinkOptions } from '../link/link-options.js';
import type { RawProblem } from './check-shape.js';
import { type ConfigPath, formatPath } from './config-path.js';
import { didYouMean } from './did-you-mean.js';

/** Where-written filters, checked after layering: the node names must exist, and one form at a time. */
export function checkWhereWritten(
  link: Pick<ResolvedLinkOptions, 'filter' | 'origin'>,
  sources: ReadonlyMap<string, ConfigPath>,
  linkPath: ConfigPath,
  nodeNames: readonly string[],
  problems: RawProblem[],
): void {
  const { fromNodes, localOnly } = link.filter;
  const fromPath = sources.get('filter.fromNodes') ?? [...linkPath, 'filter', 'fromNodes'];
  fromNodes.forEach((name, i) => {
    if (nodeNames.includes(name)) return;
    problems.push({
      path: [...fromPath, i],
      message: `unknown node ${JSON.stringify(name)}${didYouMean(name, nodeNames)}; nodes are: ${nodeNames.join(', ')}`,
    });
  });
  if (localOnly && fromNodes.length > 0) {
    problems.push({
      path: sources.get('filter.localOnly') ?? [...linkPath, 'filter', 'localOnly'],
      message:
        `localOnly and fromNodes both set (fromNodes at ${formatPath(fromPath)}); localOnly means ` +
        `fromNodes: [${link.origin}]: give one`,
    });
  }
}
