import { LinkerError } from '../../shared/errors.js';
import { firstWriter, type ParsedMetadata } from './annotations.js';
import { COORDINATION_STREAM_PREFIX } from '../bookkeeping.js';
import type { LinkFilterOptions } from '../link-options.js';
import { compileMetadataRules } from './metadata-match.js';

/**
 * Which origin events a link copies. The server evaluates what it can (a stream-name regex that keeps user
 * streams and the `$$` metastreams of user streams); everything else is decided here, per event.
 *
 * Stream filters apply to the stream a `$$` metastream describes (so `orders-` also copies `$$orders-1`,
 * unlike Linker). Event filters (type, metadata, where the event was written) pick user events only: a
 * stream's `$$` metadata and tombstone follow the stream's selected events instead (see `selectsEvents`).
 * An exclude always wins over an include; every include given must hold (one list's items are OR'd).
 */
export const TOMBSTONE_EVENT_TYPE = '$streamDeleted';
export const METADATA_EVENT_TYPE = '$metadata';
export const LINK_EVENT_TYPE = '$>';
export const TOMBSTONE_REVISION = 9223372036854775807n;

/** Filters that select every user event (the built-in defaults). */
export const NO_FILTER: LinkFilterOptions = Object.freeze({
  includeStreamPrefixes: [],
  includeStreamRegex: undefined,
  excludeStreamPrefixes: [],
  excludeStreamRegex: undefined,
  includeEventTypeRegex: undefined,
  excludeEventTypeRegex: undefined,
  includeMetadata: [],
  excludeMetadata: [],
  localOnly: false,
  fromNodes: [],
});

export type EventKind = 'event' | 'metadata' | 'tombstone';

export type Classification =
  | { copy: true; kind: EventKind; baseStream: string }
  | { copy: false; reason: 'system' | 'filtered' | 'link-event' | 'tombstone-disabled' };

export interface CompiledFilter {
  /** Stream filters, the system-stream rules and the event-type filters. */
  classify(streamId: string, type: string, revision: bigint): Classification;
  /**
   * After `classify` said copy for a user event: the metadata and where-written filters, on the metadata the
   * link already parsed (undefined = empty or not a JSON object).
   */
  selectEvent(parsed: ParsedMetadata): boolean;
  /**
   * Some filter picks single events of a stream: a `$$` metadata event or tombstone is then copied only
   * into a destination stream that already exists (holds selected events), so a stream none of whose events
   * is selected never appears in the destination as orphan metadata or a lone tombstone.
   */
  selectsEvents: boolean;
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

/** `originNode`: the node the link reads from, for `localOnly` and `fromNodes`. */
export function compileFilter(
  options: LinkFilterOptions,
  replicateTombstones: boolean,
  originNode = '',
): CompiledFilter {
  const includeStream = compile(options.includeStreamRegex, 'includeStreamRegex');
  const excludeStream = compile(options.excludeStreamRegex, 'excludeStreamRegex');
  const includeType = compile(options.includeEventTypeRegex, 'includeEventTypeRegex');
  const excludeType = compile(options.excludeEventTypeRegex, 'excludeEventTypeRegex');
  const includeMetadata = compileMetadataRules(options.includeMetadata);
  const excludeMetadata = compileMetadataRules(options.excludeMetadata);
  const fromNodes = new Set(options.fromNodes);
  const where = options.localOnly || fromNodes.size > 0;
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

  function selectEvent(parsed: ParsedMetadata): boolean {
    if (excludeMetadata?.(parsed) === true) return false;
    if (includeMetadata && !includeMetadata(parsed)) return false;
    if (!where) return true;
    const writer = firstWriter(parsed, originNode);
    if (options.localOnly && writer !== originNode) return false;
    return fromNodes.size === 0 || fromNodes.has(writer);
  }

  return {
    serverStreamRegex,
    selectEvent,
    selectsEvents:
      includeType !== undefined ||
      excludeType !== undefined ||
      includeMetadata !== undefined ||
      excludeMetadata !== undefined ||
      where,
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
