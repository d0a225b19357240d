import type { LinkStatus } from '../link/link-status.js';

export interface ProgressSnapshot {
  /** 0..1, weighted by `$all` bytes (positions are byte offsets in the origin's log). */
  fraction: number;
  eventsReplicated: number;
  /** eventsReplicated / fraction once the fraction is meaningful; null before. */
  estimatedTotalEvents: number | null;
  /** Events per second, summed over links, as the links measure it. */
  rate: number;
  /** Seconds left at the recent position rate; null while unknown. */
  etaSeconds: number | null;
  linksDone: number;
  links: number;
}

interface Tracked {
  start: bigint | null;
  target: bigint;
  done: boolean;
}

/**
 * Progress of `--until-caught-up`. The only totals known up front without scanning the origin are
 * positions: a link must reach its origin's `$all` end position `target` from the checkpoint it started
 * at. Positions are log byte offsets, so the fraction is of bytes, not events; events are estimated from
 * that fraction (`replicated / fraction`), which is exact when events are of similar size and drifts when
 * they are not. Filtered-out streams count as progress, since the checkpoint passes them too.
 */
export class CatchUpProgress {
  private readonly links = new Map<string, Tracked>();
  private readonly samples: { at: number; done: number }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  track(link: string, target: bigint): void {
    this.links.set(link, { start: null, target, done: false });
  }

  markDone(link: string): void {
    const t = this.links.get(link);
    if (t) t.done = true;
  }

  update(statuses: readonly LinkStatus[], now: number): ProgressSnapshot {
    let total = 0;
    let done = 0;
    let events = 0;
    let rate = 0;
    let linksDone = 0;
    for (const status of statuses) {
      const t = this.links.get(status.name);
      if (!t) continue;
      events += status.eventsReplicated;
      rate += status.rate;
      const checkpoint = status.checkpoint ? BigInt(status.checkpoint.commit) : null;
      // The first checkpoint a link reports is where this run started from (its stored checkpoint).
      if (t.start === null && (checkpoint !== null || status.state === 'running')) t.start = checkpoint ?? 0n;
      const start = t.start ?? 0n;
      const span = t.target > start ? t.target - start : 0n;
      let reached = checkpoint !== null && checkpoint > start ? checkpoint - start : 0n;
      if (t.done || reached > span) reached = span;
      if (t.done) linksDone++;
      total += Number(span);
      done += Number(reached);
    }
    const fraction = total === 0 ? (linksDone === this.links.size ? 1 : 0) : done / total;
    this.samples.push({ at: now, done });
    while (this.samples.length > 2 && this.samples[0]!.at < now - this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const elapsed = (now - first.at) / 1000;
    const positionRate = elapsed > 0 ? (done - first.done) / elapsed : 0;
    const etaSeconds = positionRate > 0 ? Math.max(0, (total - done) / positionRate) : null;
    return {
      fraction,
      eventsReplicated: events,
      estimatedTotalEvents: fraction >= 0.01 ? Math.round(events / fraction) : null,
      rate,
      etaSeconds,
      linksDone,
      links: this.links.size,
    };
  }
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** One line: `[#####-----]  52.0%  12,345/~23,700 events  8,100 ev/s  ETA 1m23s  links 1/2`. */
export function formatProgressLine(p: ProgressSnapshot, barWidth = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, p.fraction)) * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const pct = `${(p.fraction * 100).toFixed(1).padStart(5)}%`;
  const total = p.estimatedTotalEvents === null ? '' : `/~${p.estimatedTotalEvents.toLocaleString('en-US')}`;
  return `${bar} ${pct}  ${p.eventsReplicated.toLocaleString('en-US')}${total} events  ${Math.round(p.rate).toLocaleString('en-US')} ev/s  ETA ${formatDuration(p.etaSeconds)}  links ${p.linksDone}/${p.links}`;
}
