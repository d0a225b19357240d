import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { Logger } from 'pino';
import { BACKWARDS, END, type EventStoreDBClient } from '@eventstore/db-client';
import { rawEvent } from '../../src/client/raw-bytes.js';
import { resolveConfig } from '../../src/config/index.js';
import { LinkerService } from '../../src/link/linker-service.js';
import type { LinkMetrics } from '../../src/link/link-metrics.js';
import type { ResolvedLinkOptions } from '../../src/link/link-options.js';
import { silentLogger } from '../../src/observability/logger.js';
import { compareNodes, type CompareOptions } from '../../src/verify/compare-nodes.js';
import type { EmulatorOptions } from '../../src/emulator/emulator-api.js';
import { startNodes, type TestNode } from '../helpers/nodes.js';

/** Helpers shared by the link integration tests (not a test file). */
export function linkOptions(
  origin: string,
  destination: string,
  over: Partial<ResolvedLinkOptions> = {},
): ResolvedLinkOptions {
  // Defaults come from the config resolver, as in the daemon; only test pacing is tightened here.
  const config = resolveConfig(
    {
      nodes: [
        { name: origin, connectionString: 'esdb://127.0.0.1:1?tls=false' },
        { name: destination, connectionString: 'esdb://127.0.0.1:2?tls=false' },
      ],
      links: [
        {
          name: `${origin}-to-${destination}-${randomUUID().slice(0, 6)}`,
          origin,
          destination,
          lanes: 8,
          checkpointIntervalMs: 100,
          retry: { initialDelayMs: 20, maxDelayMs: 300 },
        },
      ],
    },
    { env: {} },
  );
  return { ...config.links[0]!, ...over };
}

const linksOf = new WeakMap<TestContext, LinkerService[]>();

/** Nodes for a test; its cleanup stops its links first (they must not outlive their servers), then the nodes. */
export async function nodesFor(t: TestContext, names: string[], options: EmulatorOptions = {}): Promise<TestNode[]> {
  const nodes = await startNodes(names, options);
  if (!linksOf.has(t)) linksOf.set(t, []);
  t.after(async () => {
    await Promise.allSettled((linksOf.get(t) ?? []).map((l) => l.stop({ graceMs: 500 })));
    await Promise.allSettled(nodes.map((n) => n.stop()));
  });
  return nodes;
}

export async function twoNodes(t: TestContext, options: EmulatorOptions = {}): Promise<[TestNode, TestNode]> {
  const nodes = await nodesFor(t, ['dc1', 'dc2'], options);
  return [nodes[0]!, nodes[1]!];
}

export function startLink(
  t: TestContext,
  origin: TestNode,
  destination: TestNode,
  options: ResolvedLinkOptions,
  extra?: {
    origin?: EventStoreDBClient;
    destination?: EventStoreDBClient;
    metrics?: LinkMetrics;
    credentials?: { username: string; password: string };
    logger?: Logger;
  },
): LinkerService {
  const link = new LinkerService({
    options,
    origin: { name: origin.name, client: extra?.origin ?? origin.client() },
    destination: {
      name: destination.name,
      client: extra?.destination ?? destination.client(),
      ...(extra?.credentials ? { credentials: extra.credentials } : {}),
    },
    ...(extra?.metrics ? { metrics: extra.metrics } : {}),
    logger:
      extra?.logger ??
      (process.env.LINK_TEST_LOG ? silentLogger().child({}, { level: process.env.LINK_TEST_LOG }) : silentLogger()),
  });
  const links = linksOf.get(t);
  if (links) links.push(link);
  else t.after(() => link.stop({ graceMs: 500 }));
  return link;
}

/** The origin's current end of `$all`. */
export async function endOf(client: EventStoreDBClient): Promise<{ commit: bigint; prepare: bigint }> {
  // Read to the end (no early return): a cancelled read keeps the v6 client's dispose() waiting.
  let end = { commit: 0n, prepare: 0n };
  for await (const e of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
    if (e.event?.position) end = e.event.position;
  }
  return end;
}

/** Waits until the link has everything up to the origin's current end. */
export async function settle(link: LinkerService, origin: EventStoreDBClient, timeoutMs = 15_000): Promise<void> {
  const end = await endOf(origin);
  await link.waitForPosition(end, AbortSignal.timeout(timeoutMs));
}

export async function assertSame(
  origin: EventStoreDBClient,
  destination: EventStoreDBClient,
  options: CompareOptions = {},
): Promise<void> {
  const result = await compareNodes(origin, destination, options);
  if (!result.equal) {
    throw new Error(
      `nodes differ:\n${result.differences.map((d) => `  ${d.stream} ${d.kind}${d.revision !== undefined ? `@${d.revision}` : ''}: ${d.detail}`).join('\n')}`,
    );
  }
}

const enc = new TextEncoder();

export function jsonData(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value));
}

export async function appendRaw(
  client: EventStoreDBClient,
  stream: string,
  events: { type?: string; data?: Uint8Array; metadata?: Uint8Array | string; binary?: boolean; id?: string }[],
  expectedRevision?: bigint | 'no_stream' | 'any',
  /** Per-call credentials make the client use the classic Append RPC, immune to other clients' BatchAppend faults. */
  classic = false,
): Promise<bigint> {
  const r = await client.appendToStream(
    stream,
    events.map((e) =>
      rawEvent({
        id: e.id ?? randomUUID(),
        type: e.type ?? 'TestEvent',
        contentType: e.binary ? 'application/octet-stream' : 'application/json',
        data: e.data ?? jsonData({ at: Date.now() }),
        metadata: typeof e.metadata === 'string' ? enc.encode(e.metadata) : e.metadata,
      }),
    ),
    {
      ...(expectedRevision === undefined ? {} : { expectedRevision }),
      ...(classic ? { credentials: { username: 'admin', password: 'changeit' } } : {}),
    },
  );
  return r.nextExpectedRevision;
}
