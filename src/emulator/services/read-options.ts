import { buildFilter, type EventFilter, type WireFilterOptions } from '../subscriptions/event-filter.js';
import type { UuidForm } from '../wire/read-resp.js';
import { rpcErrors, type RpcError } from '../wire/rpc-errors.js';
import { isRpcError, parseStreamName, type WireStreamIdentifier } from './request-parsing.js';

/** A decoded `ReadReq.options`, validated. */
export interface ReadPlan {
  target:
    | { kind: 'stream'; streamId: string; from: 'start' | 'end' | bigint }
    | { kind: 'all'; from: 'start' | 'end' | number };
  backwards: boolean;
  resolveLinks: boolean;
  /** undefined = subscription. */
  count: number | undefined;
  filter: EventFilter | undefined;
  uuidForm: UuidForm;
  compatibility: number;
}

export interface WireReadOptions {
  stream_option?: 'stream' | 'all';
  stream?: ({ stream_identifier?: WireStreamIdentifier; revision_option?: string; revision?: string } & object) | null;
  all?: {
    all_option?: 'position' | 'start' | 'end';
    position?: { commit_position?: string; prepare_position?: string } | null;
  } | null;
  read_direction?: number | string;
  resolve_links?: boolean;
  count_option?: 'count' | 'subscription';
  count?: string;
  filter_option?: 'filter' | 'no_filter';
  filter?: WireFilterOptions | null;
  uuid_option?: { content?: 'structured' | 'string' } | null;
  control_option?: { compatibility?: number } | null;
}

const DIGITS = /^\d+$/;

export function parseReadOptions(options: WireReadOptions | null | undefined): ReadPlan | RpcError {
  if (!options) return rpcErrors.invalidArgument('ReadReq.options is required.');
  let target: ReadPlan['target'];
  if (options.stream_option === 'stream' && options.stream) {
    const name = parseStreamName(options.stream.stream_identifier);
    if (isRpcError(name)) return name;
    const which = options.stream.revision_option;
    if (which === 'revision') {
      const rev = options.stream.revision;
      if (typeof rev !== 'string' || !DIGITS.test(rev)) return rpcErrors.invalidArgument('Invalid stream revision.');
      target = { kind: 'stream', streamId: name, from: BigInt(rev) };
    } else {
      target = { kind: 'stream', streamId: name, from: which === 'end' ? 'end' : 'start' };
    }
  } else if (options.stream_option === 'all' && options.all) {
    const which = options.all.all_option;
    if (which === 'position') {
      const commit = options.all.position?.commit_position ?? '0';
      if (!DIGITS.test(commit) || !Number.isSafeInteger(Number(commit)))
        return rpcErrors.invalidArgument('Invalid $all position.');
      target = { kind: 'all', from: Number(commit) };
    } else {
      target = { kind: 'all', from: which === 'end' ? 'end' : 'start' };
    }
  } else {
    return rpcErrors.invalidArgument('ReadReq.options needs a stream or $all option.');
  }
  let count: number | undefined;
  if (options.count_option === 'subscription') {
    count = undefined;
  } else {
    const text = options.count ?? '0';
    if (!DIGITS.test(text)) return rpcErrors.invalidArgument('Invalid count.');
    count = Math.min(Number(text), Number.MAX_SAFE_INTEGER);
  }
  let filter: EventFilter | undefined;
  if (options.filter_option === 'filter' && options.filter && target.kind === 'all') {
    const built = buildFilter(options.filter);
    if (isRpcError(built)) return built;
    filter = built;
  }
  const direction = options.read_direction;
  return {
    target,
    backwards: direction === 1 || direction === 'Backwards',
    resolveLinks: options.resolve_links === true,
    count,
    filter,
    uuidForm: options.uuid_option?.content === 'structured' ? 'structured' : 'string',
    compatibility: options.control_option?.compatibility ?? 0,
  };
}
