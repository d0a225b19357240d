import { LinkerError } from '../shared/errors.js';
import { COORDINATION_STREAM_PREFIX } from './bookkeeping.js';
import type { LinkFilterOptions } from './link-options.js';

/**
 * Which origin events a link copies. The server evaluates what it can (a stream-name regex that keeps user
 * streams and the `$$` metastreams of user streams); everything else is decided here, per event.
 *
 * Streams filters apply to the stream a `$$` metastream describes (so `orders-` also copies `$$orders-1`,
 * unlike Linker); event-type filters apply to user event types only (a stream's metadata and tombstone
 * always follow the stream).
 */
export const TOMBSTONE_EVENT_TYPE = '$streamDeleted';
export const METADATA_EVENT_TYPE = '$metadata';
export const LINK_EVENT_TYPE = '$>';
export const TOMBSTONE_REVISION = 9223372036854775807n;

export type EventKind = 'event' | 'metadata' | 'tombstone';

export type Classification =
  | { copy: true; kind: EventKind; baseStream: string }
  | { copy: false; reason: 'system' | 'filtered' | 'link-event' | 'tombstone-disabled' };

export interface CompiledFilter {
  classify(streamId: string, type: string, revision: bigint): Classification;
  /** Stream-name regex (.NET and JS compatible) for the subscription's server-side filter. */
  serverStreamRegex: string;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** User stream = not starting with `$`; its metastream = `$$` + user stream. */
export function baseStreamOf(streamId: string): { base: string; meta: boolean } | undefined {
  if (streamId.startsWith('$$')) {
    const base = streamId.slice(2);
    return base.length > 0 && !base.startsWith('$') ? { base, meta: true } : undefined;
  }
  if (streamId.length === 0 || streamId.startsWith('$')) return undefined;
  return { base: streamId, meta: false };
}

function compile(regex: string | undefined, what: string): RegExp | undefined {
  if (regex === undefined || regex === '') return undefined;
  try {
    return new RegExp(regex);
  } catch (err) {
    throw new LinkerError(
      'ESDBL_LINK_BAD_FILTER',
      `invalid ${what} regex ${JSON.stringify(regex)}: ${(err as Error).message}`,
    );
  }
}

export function compileFilter(options: LinkFilterOptions, replicateTombstones: boolean): CompiledFilter {
  const includeStream = compile(options.includeStreamRegex, 'includeStreamRegex');
  const excludeStream = compile(options.excludeStreamRegex, 'excludeStreamRegex');
  const includeType = compile(options.includeEventTypeRegex, 'includeEventTypeRegex');
  const excludeType = compile(options.excludeEventTypeRegex, 'excludeEventTypeRegex');
  const userPrefixes = options.includeStreamPrefixes.filter((p) => p.length > 0 && !p.startsWith('$'));

  const serverStreamRegex =
    userPrefixes.length > 0 ? `^(?:\\$\\$)?(?:${userPrefixes.map(escapeRegex).join('|')})` : '^(?:[^$]|\\$\\$[^$])';

  function streamAllowed(base: string): boolean {
    if (base.startsWith(COORDINATION_STREAM_PREFIX)) return false;
    if (options.includeStreamPrefixes.length > 0 && !options.includeStreamPrefixes.some((p) => base.startsWith(p)))
      return false;
    if (includeStream && !includeStream.test(base)) return false;
    if (options.excludeStreamPrefixes.some((p) => base.startsWith(p))) return false;
    if (excludeStream?.test(base)) return false;
    return true;
  }

  return {
    serverStreamRegex,
    classify(streamId, type, revision) {
      const stream = baseStreamOf(streamId);
      if (!stream) return { copy: false, reason: 'system' };
      let kind: EventKind;
      if (stream.meta) {
        if (type !== METADATA_EVENT_TYPE) return { copy: false, reason: 'system' };
        kind = 'metadata';
      } else if (type === TOMBSTONE_EVENT_TYPE && revision === TOMBSTONE_REVISION) {
        if (!replicateTombstones) return { copy: false, reason: 'tombstone-disabled' };
        kind = 'tombstone';
      } else if (type === LINK_EVENT_TYPE) {
        return { copy: false, reason: 'link-event' };
      } else {
        kind = 'event';
      }
      if (!streamAllowed(stream.base)) return { copy: false, reason: 'filtered' };
      if (kind === 'event') {
        if (includeType && !includeType.test(type)) return { copy: false, reason: 'filtered' };
        if (excludeType?.test(type)) return { copy: false, reason: 'filtered' };
      }
      return { copy: true, kind, baseStream: stream.base };
    },
  };
}
