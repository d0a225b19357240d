import type { RecordedEvent } from '@eventstore/db-client';
import { rawBytesOf } from '../client/raw-bytes.js';
import { parseMetadata } from '../link/filter/annotations.js';
import { compileFilter } from '../link/filter/event-filter.js';
import type { LinkFilterOptions, ResolvedLinkOptions } from '../link/link-options.js';
import type { CompareOptions } from './compare-types.js';

/**
 * What a link copies, as comparison options: its stream filters and prefix, and (when it filters single
 * events by type, metadata or where they were written) the same event selection the link applies, so an
 * origin compares equal to a filtered or local-only destination that holds exactly the selected events.
 * Loop prevention is not part of the selection: events a link drops as copies coming home are the
 * destination's own.
 */
export function linkCompareOptions(link: ResolvedLinkOptions): CompareOptions {
  const options: CompareOptions = {
    includeStreamPrefixes: link.filter.includeStreamPrefixes,
    excludeStreamPrefixes: link.filter.excludeStreamPrefixes,
    includeStreamRegex: link.filter.includeStreamRegex,
    excludeStreamRegex: link.filter.excludeStreamRegex,
    streamPrefix: link.streamPrefix,
  };
  const selectOriginEvent = eventSelector(link.filter, link.origin);
  return selectOriginEvent ? { ...options, selectOriginEvent } : options;
}

/**
 * The link's event filters (type, metadata, where written) as a predicate over origin events, or undefined
 * when they select every event of a selected stream. `originNode` is the node read from (`localOnly`).
 */
export function eventSelector(
  filter: LinkFilterOptions,
  originNode: string,
): ((event: RecordedEvent) => boolean) | undefined {
  const compiled = compileFilter(filter, true, originNode);
  if (!compiled.selectsEvents) return undefined;
  return (event) => {
    const cls = compiled.classify(event.streamId, event.type, event.revision);
    return cls.copy && cls.kind === 'event' && compiled.selectEvent(parseMetadata(rawBytesOf(event).metadata));
  };
}
