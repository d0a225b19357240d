import { LinkerError } from '../shared/errors.js';
import type { CompareOptions } from './compare-types.js';

/**
 * Which streams a comparison covers and how origin names map to destination names. Bookkeeping and
 * system streams start with `$` and are never compared themselves; a `$$x` metastream only tells that
 * user stream `x` exists (it may have metadata and no events).
 */
export class StreamSelection {
  readonly streamPrefix: string;
  private readonly includePrefixes: readonly string[];
  private readonly excludePrefixes: readonly string[];
  private readonly includeRegex: RegExp | undefined;
  private readonly excludeRegex: RegExp | undefined;

  constructor(options: CompareOptions) {
    this.streamPrefix = options.streamPrefix ?? '';
    this.includePrefixes = options.includeStreamPrefixes ?? [];
    this.excludePrefixes = options.excludeStreamPrefixes ?? [];
    this.includeRegex = compileRegex('includeStreamRegex', options.includeStreamRegex);
    this.excludeRegex = compileRegex('excludeStreamRegex', options.excludeStreamRegex);
  }

  /** The user stream a record of stream `name` belongs to, or undefined for system streams. */
  static userStreamOf(name: string): string | undefined {
    if (name.startsWith('$$')) {
      const target = name.slice(2);
      return target.length > 0 && !target.startsWith('$') ? target : undefined;
    }
    return name.startsWith('$') || name.length === 0 ? undefined : name;
  }

  /** Whether an origin stream is part of the comparison. */
  includes(originName: string): boolean {
    if (this.includePrefixes.length > 0 && !this.includePrefixes.some((p) => originName.startsWith(p))) return false;
    if (this.includeRegex && !this.includeRegex.test(originName)) return false;
    if (this.excludePrefixes.some((p) => originName.startsWith(p))) return false;
    if (this.excludeRegex?.test(originName)) return false;
    return true;
  }

  /** The origin name of a destination user stream, or undefined when it lies outside the prefix. */
  originNameOf(destinationName: string): string | undefined {
    if (!destinationName.startsWith(this.streamPrefix)) return undefined;
    const name = destinationName.slice(this.streamPrefix.length);
    return name.length > 0 ? name : undefined;
  }

  destinationNameOf(originName: string): string {
    return this.streamPrefix + originName;
  }
}

function compileRegex(option: string, source: string | undefined): RegExp | undefined {
  if (source === undefined || source === '') return undefined;
  try {
    return new RegExp(source);
  } catch (err) {
    throw new LinkerError('ESDBL_VERIFY_BAD_OPTION', `${option} is not a valid regular expression: ${source}`, {
      cause: err,
      details: { option, value: source },
    });
  }
}
