import type { ConfigPath } from './config-path.js';

/** 1-based position in the source text. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** Where one value (and the key that names it, for mapping entries) sits in the source text. */
export interface LocationNode {
  keyOffset: number | undefined;
  valueOffset: number;
  children: Map<string | number, LocationNode>;
}

export function newLocationNode(valueOffset: number, keyOffset?: number): LocationNode {
  return { keyOffset, valueOffset, children: new Map() };
}

/** Converts character offsets to line/column once per source. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/**
 * Finds the closest located ancestor of a path: problems about values that a default or an override filled in
 * (so they are absent from the file) still point at the entry they belong to.
 */
export class SourceLocator {
  constructor(
    private readonly root: LocationNode,
    private readonly lines: LineIndex,
  ) {}

  locate(path: ConfigPath, prefer: 'key' | 'value' = 'value'): SourcePosition | undefined {
    let node = this.root;
    let exact = true;
    for (const seg of path) {
      const child = node.children.get(seg);
      if (child === undefined) {
        exact = false;
        break;
      }
      node = child;
    }
    const offset = (prefer === 'key' || !exact) && node.keyOffset !== undefined ? node.keyOffset : node.valueOffset;
    return this.lines.position(offset);
  }
}
