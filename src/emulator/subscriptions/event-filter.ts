import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';

/** The real server's default max search window, used when the client gives none. */
export const DEFAULT_MAX_SEARCH_WINDOW = 32;

export interface EventFilter {
  /** Takes the two fields filters look at, so a filtered-out record is never materialised. */
  matches(streamId: string, eventType: string): boolean;
  /** Considered events between checkpoints: multiplier × max search window. */
  readonly checkpointInterval: number;
}

interface WireExpression {
  regex?: string;
  prefix?: string[];
}

export interface WireFilterOptions {
  filter?: 'stream_identifier' | 'event_type';
  stream_identifier?: WireExpression | null;
  event_type?: WireExpression | null;
  window?: 'max' | 'count';
  max?: number;
  checkpointIntervalMultiplier?: number;
}

/**
 * Builds a stream-name or event-type filter. A non-empty regex wins over prefixes, as on the real server.
 * DEVIATION (documented): JS RegExp stands in for the .NET regex dialect.
 */
export function buildFilter(options: WireFilterOptions): EventFilter | RpcError {
  const onStream = options.filter === 'stream_identifier';
  const expression = onStream ? options.stream_identifier : options.event_type;
  if (!expression) return rpcErrors.invalidArgument('Filter expression is missing.');
  const field = onStream ? (streamId: string) => streamId : (_: string, eventType: string) => eventType;
  let matches: (streamId: string, eventType: string) => boolean;
  if (expression.regex) {
    let regex: RegExp;
    try {
      regex = new RegExp(expression.regex);
    } catch {
      return rpcErrors.invalidArgument(`Invalid filter regex '${expression.regex}'.`);
    }
    matches = (streamId, eventType) => regex.test(field(streamId, eventType));
  } else {
    const prefixes = expression.prefix ?? [];
    matches =
      prefixes.length === 0
        ? () => true
        : (streamId, eventType) => prefixes.some((p) => field(streamId, eventType).startsWith(p));
  }
  const window = options.window === 'max' && options.max && options.max > 0 ? options.max : DEFAULT_MAX_SEARCH_WINDOW;
  const multiplier =
    options.checkpointIntervalMultiplier && options.checkpointIntervalMultiplier > 0
      ? options.checkpointIntervalMultiplier
      : 1;
  return { matches, checkpointInterval: window * multiplier };
}
