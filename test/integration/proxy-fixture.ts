import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStoreDBClient } from '@eventstore/db-client';
import type { LinkerService } from '../../src/link/linker-service.js';
import { captureLogger, isWarning } from '../helpers/capture-logger.js';
import type { FaultProxy } from '../helpers/fault-proxy.js';
import { proxied } from '../helpers/proxied-node.js';
import { appendRaw, linkOptions, startLink, twoNodes } from './link-fixture.js';

/** Helpers of the proxy fault tests (not a test file). */

/** Appends small batches to fresh streams until aborted, retrying each batch (same ids) until it lands. */
export async function writeUntil(client: EventStoreDBClient, tag: string, signal: AbortSignal): Promise<number> {
  let written = 0;
  for (let i = 0; !signal.aborted; i++) {
    const events = Array.from({ length: 1 + (i % 7) }, () => ({ id: randomUUID() }));
    for (;;) {
      try {
        await appendRaw(client, `${tag}-${i % 25}`, events, 'any', true);
        written += events.length;
        break;
      } catch {
        await sleep(50);
      }
    }
    await sleep(15);
  }
  return written;
}

export async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface Setup {
  link: LinkerService;
  origin: EventStoreDBClient;
  destination: EventStoreDBClient;
  proxy: FaultProxy;
  lines: Record<string, unknown>[];
}

export async function linkThroughProxy(
  t: TestContext,
  side: 'origin' | 'destination',
  query: Record<string, string | number> = {},
): Promise<Setup> {
  const [dc1, dc2] = await twoNodes(t);
  const through = await proxied(t, side === 'origin' ? dc1.connectionString : dc2.connectionString, query);
  const stallTimeoutMs = 1_000;
  const { logger, lines } = captureLogger('info');
  const options = linkOptions('dc1', 'dc2', { stallTimeoutMs });
  const link = startLink(
    t,
    dc1,
    dc2,
    options,
    side === 'origin' ? { origin: through.client, logger } : { destination: through.client, logger },
  );
  await link.start();
  return { link, origin: dc1.client(), destination: dc2.client(), proxy: through.proxy, lines };
}

/** The warnings and errors a link logged, on one line (for a test's diagnostics). */
export function warnings(lines: Record<string, unknown>[]): string {
  return lines
    .filter(isWarning)
    .map((l) => String(l.msg))
    .join(' | ')
    .slice(0, 2000);
}
