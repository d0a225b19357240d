import type { EventStoreDBClient } from '@eventstore/db-client';
import { conflictStreamName } from '../../src/link/bookkeeping.js';
import { compareNodes } from '../../src/verify/compare-nodes.js';
import { jsonObjectOf, originChainOf, readAllEvents, type StoredEvent } from '../helpers/topology-inspect.js';
import type { ChaosTopology, NodeName } from './chaos-topology.js';
import type { AckedAppend } from './chaos-writers.js';

export interface LinkVerification {
  link: string;
  /** Events on the origin this link must copy. */
  sourceEvents: number;
  /** Found exactly once on the destination (in their stream, or recorded as a conflict). */
  verified: number;
  inConflictStreams: number;
  lost: number;
  duplicates: number;
  /** Streams that must be exact copies (not written on both sides) compared equal. */
  exact: boolean;
  problems: string[];
}

export interface Verification {
  links: LinkVerification[];
  /** Acknowledged appends missing from their own origin (the server lost them). */
  ackedMissingOnOrigin: number;
  lost: number;
  duplicates: number;
  ok: boolean;
}

/**
 * Checks every link once the run is over and the links caught up: each event its origin holds for it is on
 * the destination exactly once (in its stream, or for streams written on both sides possibly as a conflict
 * record), streams written on one side only are exact copies (compareNodes: ids, types, data, metadata),
 * and every acknowledged append is on its origin.
 */
export async function verifyChaos(
  topology: ChaosTopology,
  clients: Record<NodeName, EventStoreDBClient>,
  acked: readonly AckedAppend[],
  log: (line: string) => void = () => {},
): Promise<Verification> {
  const stored = {} as Record<NodeName, StoredEvent[]>;
  const everything = {} as Record<NodeName, StoredEvent[]>;
  for (const [name, client] of Object.entries(clients) as [NodeName, EventStoreDBClient][]) {
    const started = Date.now();
    everything[name] = await readAllEvents(client);
    stored[name] = everything[name].filter((e) => e.streamId.includes(topology.run) && !e.streamId.startsWith('$'));
    log(`verify: read ${everything[name].length} events of ${name} in ${Date.now() - started} ms`);
  }
  const links: LinkVerification[] = [];
  for (const link of topology.links) {
    const problems: string[] = [];
    const source = stored[link.origin].filter(
      (e) =>
        link.prefixes.some((p) => e.streamId.startsWith(p)) &&
        // Loop prevention: what came from the destination is not copied back.
        !originChainOf(e.metadata).includes(link.destination),
    );
    const conflictStream = conflictStreamName(link.origin, link.destination);
    const atDestination = new Map<string, number>();
    const recorded = new Map<string, number>();
    for (const e of stored[link.destination]) {
      atDestination.set(`${e.streamId}\u0000${e.id}`, (atDestination.get(`${e.streamId}\u0000${e.id}`) ?? 0) + 1);
    }
    for (const e of conflictRecords(everything[link.destination], conflictStream, topology.run)) {
      recorded.set(e, (recorded.get(e) ?? 0) + 1);
    }
    let verified = 0;
    let lost = 0;
    let duplicates = 0;
    let inConflictStreams = 0;
    for (const e of source) {
      const copies = atDestination.get(`${link.streamPrefix}${e.streamId}\u0000${e.id}`) ?? 0;
      const records = recorded.get(`${e.streamId}\u0000${e.id}`) ?? 0;
      if (copies + records === 0) {
        lost++;
        if (problems.length < 5) problems.push(`lost: ${e.streamId} ${e.id}`);
      } else if (copies + records > 1) {
        duplicates += copies + records - 1;
        if (problems.length < 5) problems.push(`${copies + records} copies: ${e.streamId} ${e.id}`);
      } else {
        verified++;
        if (records > 0) inConflictStreams++;
      }
    }
    const exactPrefixes = link.prefixes.flatMap((p) =>
      p.endsWith('-aa-') ? [link.origin === 'dc1' ? topology.families.one1 : topology.families.one2] : [p],
    );
    const comparing = Date.now();
    const compared = await compareNodes(clients[link.origin], clients[link.destination], {
      includeStreamPrefixes: exactPrefixes,
      streamPrefix: link.streamPrefix,
    });
    log(`verify: ${link.name}: ${source.length} events checked, exact copy compared in ${Date.now() - comparing} ms`);
    for (const d of compared.differences.slice(0, 5)) problems.push(`differs: ${d.stream} ${d.kind}: ${d.detail}`);
    links.push({
      link: link.name,
      sourceEvents: source.length,
      verified,
      inConflictStreams,
      lost,
      duplicates,
      exact: compared.equal,
      problems,
    });
  }
  let ackedMissingOnOrigin = 0;
  const onOrigin = new Set<string>();
  for (const [name, events] of Object.entries(stored))
    for (const e of events) onOrigin.add(`${name}\u0000${e.streamId}\u0000${e.id}`);
  for (const a of acked)
    for (const id of a.ids) if (!onOrigin.has(`${a.node}\u0000${a.stream}\u0000${id}`)) ackedMissingOnOrigin++;
  const lost = links.reduce((n, l) => n + l.lost, 0) + ackedMissingOnOrigin;
  const duplicates = links.reduce((n, l) => n + l.duplicates, 0);
  return {
    links,
    ackedMissingOnOrigin,
    lost,
    duplicates,
    ok: lost === 0 && duplicates === 0 && links.every((l) => l.exact),
  };
}

/** `stream\0id` of the origin events recorded in a conflict stream (for streams of this run). */
function conflictRecords(events: readonly StoredEvent[], stream: string, run: string): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.streamId !== stream) continue;
    const meta = jsonObjectOf(e.metadata);
    const original = meta?.$originalStreamId;
    const id = meta?.$originalEventId;
    if (typeof original === 'string' && typeof id === 'string' && original.includes(run))
      out.push(`${original}\u0000${id}`);
  }
  return out;
}
