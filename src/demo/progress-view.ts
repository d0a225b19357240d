import type { LinkStatus } from '../link/link-status.js';
import type { DaemonStatus } from '../observability/status-types.js';

/** One line per link: state, copied events, rate, lag and conflicts, aligned for a terminal. */
export function formatProgress(
  status: DaemonStatus,
  written: Record<string, number>,
  elapsedSeconds: number,
): string[] {
  const width = Math.max(...status.links.map((l) => l.name.length), 4);
  const writes = Object.entries(written)
    .map(([node, n]) => `${node} ${n}`)
    .join(', ');
  const lines = [`[${elapsedSeconds.toFixed(0).padStart(3)} s] written: ${writes}`];
  for (const link of status.links) lines.push(`  ${link.name.padEnd(width)}  ${describeLink(link)}`);
  return lines;
}

function describeLink(link: LinkStatus): string {
  const state = link.state === 'running' ? `${link.phase}${link.stalled ? ' STALLED' : ''}` : link.state;
  const parts = [
    state.padEnd(8),
    `copied ${String(link.eventsReplicated).padStart(6)}`,
    `${link.rate.toFixed(1).padStart(6)} ev/s`,
    `lag ${link.lagEvents} ev / ${link.lagSeconds.toFixed(1)} s`,
    `conflicts ${link.conflicts}`,
  ];
  if (link.retrying) parts.push(`retrying: ${link.lastError?.message ?? ''}`);
  return parts.join('  ');
}

/**
 * Prints progress: on a terminal one block rewritten in place; otherwise plain lines at most every
 * `plainIntervalMs` (logs and CI output stay readable).
 */
export class ProgressPrinter {
  private previousLines = 0;
  private lastPlainAt = -Infinity;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly tty: boolean,
    private readonly plainIntervalMs: number,
  ) {}

  print(lines: string[], nowMs: number): void {
    if (this.tty) {
      // Cursor up over the previous block, then clear to the end of the screen.
      const rewind = this.previousLines > 0 ? `\x1b[${this.previousLines}F\x1b[J` : '';
      this.out.write(`${rewind}${lines.join('\n')}\n`);
      this.previousLines = lines.length;
      return;
    }
    if (nowMs - this.lastPlainAt < this.plainIntervalMs) return;
    this.lastPlainAt = nowMs;
    this.out.write(`${lines.join('\n')}\n`);
  }

  /** The next print starts a new block below whatever was printed in between. */
  detach(): void {
    this.previousLines = 0;
  }
}
