import { FORWARDS, type EventStoreDBClient, type Position } from '@eventstore/db-client';
import type { CompiledFilter } from '../filter/event-filter.js';
import { originEventOf } from './origin-event.js';
import type { EventRouter } from '../route/event-router.js';
import { comparePositions } from '../checkpoint/position.js';

const PAGE = 500;
/** Pages per check; a longer filtered stretch is covered by the next checks or server checkpoints. */
const MAX_PAGES = 20;

/**
 * Answers "does anything between the last position the subscription showed us and `target` still need
 * copying?" for an idle live link, by reading `$all` once. Only used by `waitForPosition`.
 */
export class PositionProbe {
  private coveredUpTo: Position | null = null;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly filter: CompiledFilter,
  ) {}

  covers(position: Position): boolean {
    return this.coveredUpTo !== null && comparePositions(this.coveredUpTo, position) >= 0;
  }

  async check(from: Position, target: Position, router: EventRouter): Promise<void> {
    if ((await this.scan(from, target, router)) === 'covered') this.coveredUpTo = target;
  }

  /**
   * Whether `$all` holds anything after `from` that the link must copy (a read watchdog's question: is the
   * subscription holding back events that exist?). Looks at most `MAX_PAGES` pages ahead.
   */
  async needsCopyAfter(from: Position | null, router: EventRouter): Promise<boolean> {
    return (await this.scan(from ?? { commit: 0n, prepare: 0n }, null, router)) === 'needs-copy';
  }

  private async scan(
    from: Position,
    target: Position | null,
    router: EventRouter,
  ): Promise<'needs-copy' | 'covered' | 'unknown'> {
    let cursor = from;
    for (let page = 0; page < MAX_PAGES; page++) {
      let count = 0;
      let pastTarget = false;
      let needsCopy = false;
      let last = cursor;
      // Each page is read to its end (no early return): a read cancelled early keeps the v6 client's
      // dispose() waiting forever.
      for await (const resolved of this.client.readAll({ direction: FORWARDS, fromPosition: cursor, maxCount: PAGE })) {
        count++;
        const event = resolved.event;
        if (!event?.position || pastTarget || needsCopy) continue;
        last = event.position;
        if (comparePositions(event.position, cursor) <= 0) continue;
        if (target && comparePositions(event.position, target) > 0) {
          pastTarget = true;
          continue;
        }
        const cls = this.filter.classify(event.streamId, event.type, event.revision);
        if (cls.copy && router.route(originEventOf(event), event.position).copy) needsCopy = true;
      }
      if (needsCopy) return 'needs-copy';
      // Past the target, or the end of the log, with nothing to copy up to it.
      if (pastTarget || count < PAGE) return 'covered';
      cursor = last;
    }
    return 'unknown';
  }
}
