import type { EventStoreDBClient } from '@eventstore/db-client';
import { installRawBytes } from '../client/raw-bytes.js';
import { LinkerError } from '../shared/errors.js';
import { compareStream, expectedAbsent, type StreamComparison } from './compare-stream.js';
import type { CompareOptions, CompareResult, Difference } from './compare-types.js';
import { listUserStreams } from './list-streams.js';
import { StreamSelection } from './stream-selection.js';

export type { CompareOptions, CompareResult, Difference, DifferenceKind } from './compare-types.js';

const DEFAULT_CONCURRENCY = 8;
const DEFAULT_MAX_DIFFERENCES = 20;

interface PlannedStream {
  origin: string;
  inOrigin: boolean;
  inDestination: boolean;
}

/**
 * Compares the user streams of two nodes stream by stream: presence, deleted state, stream metadata and
 * every event (revision, id, type, content type, data bytes, metadata). Rejects with
 * `ESDBL_VERIFY_NODE_UNREACHABLE` / `ESDBL_VERIFY_READ_FAILED` when a node cannot be read, and with the
 * signal's reason when aborted.
 */
export async function compareNodes(
  origin: EventStoreDBClient,
  destination: EventStoreDBClient,
  options: CompareOptions = {},
): Promise<CompareResult> {
  installRawBytes();
  const concurrency = positiveInteger('concurrency', options.concurrency ?? DEFAULT_CONCURRENCY);
  const maxDifferences = positiveInteger('maxDifferences', options.maxDifferences ?? DEFAULT_MAX_DIFFERENCES);
  const selection = new StreamSelection(options);
  const signal = options.signal;
  signal?.throwIfAborted();

  const [originStreams, destinationStreams] = await Promise.all([
    listUserStreams(origin, 'origin', signal),
    listUserStreams(destination, 'destination', signal),
  ]);
  const plan = planStreams(selection, originStreams, destinationStreams);

  const results: (StreamComparison | undefined)[] = new Array<StreamComparison | undefined>(plan.length);
  let differencesFound = 0;
  let next = 0;
  // One failed read ends the whole comparison: the other workers stop instead of reading on unobserved.
  const failed = new AbortController();
  const workSignal = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  const ctx = {
    origin,
    destination,
    ignoreAnnotations: options.ignoreAnnotations ?? true,
    selectOriginEvent: options.selectOriginEvent,
    signal: workSignal,
  };

  // Workers take streams in name order; results are stored by index so the report order is stable.
  const worker = async (): Promise<void> => {
    try {
      while (next < plan.length && differencesFound < maxDifferences) {
        workSignal.throwIfAborted();
        const index = next++;
        const result = await compareOne(ctx, selection, plan[index]!);
        results[index] = result;
        differencesFound += result?.differences.length ?? 0;
      }
    } catch (err) {
      failed.abort(err);
      throw err;
    }
  };
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(concurrency, Math.max(plan.length, 1)) }, worker),
  );
  signal?.throwIfAborted();
  if (failed.signal.aborted) throw failed.signal.reason;
  for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;

  const differences: Difference[] = [];
  let streamsCompared = 0;
  let eventsCompared = 0;
  for (const result of results) {
    if (!result) continue;
    streamsCompared++;
    eventsCompared += result.eventsCompared;
    differences.push(...result.differences);
  }
  const truncated = differences.length > maxDifferences || (differencesFound >= maxDifferences && next < plan.length);
  return {
    equal: differences.length === 0,
    streamsCompared,
    eventsCompared,
    differences: differences.slice(0, maxDifferences),
    truncated,
  };
}

function planStreams(
  selection: StreamSelection,
  originStreams: ReadonlySet<string>,
  destinationStreams: ReadonlySet<string>,
): PlannedStream[] {
  const byName = new Map<string, PlannedStream>();
  for (const name of originStreams) {
    if (selection.includes(name)) byName.set(name, { origin: name, inOrigin: true, inDestination: false });
  }
  for (const destinationName of destinationStreams) {
    const name = selection.originNameOf(destinationName);
    if (name === undefined || !selection.includes(name)) continue;
    const planned = byName.get(name);
    if (planned) planned.inDestination = true;
    else byName.set(name, { origin: name, inOrigin: false, inDestination: true });
  }
  return [...byName.values()].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0));
}

async function compareOne(
  ctx: Parameters<typeof compareStream>[0],
  selection: StreamSelection,
  stream: PlannedStream,
): Promise<StreamComparison | undefined> {
  const destinationName = selection.destinationNameOf(stream.origin);
  if (!stream.inDestination) {
    if (await expectedAbsent(ctx, stream.origin)) return undefined;
    return {
      eventsCompared: 0,
      differences: [
        {
          stream: stream.origin,
          kind: 'only-in-origin',
          detail: `the destination has no stream ${JSON.stringify(destinationName)}`,
        },
      ],
    };
  }
  if (!stream.inOrigin) {
    return {
      eventsCompared: 0,
      differences: [
        {
          stream: stream.origin,
          kind: 'only-in-destination',
          detail: `the destination has stream ${JSON.stringify(destinationName)} but the origin has no stream ${JSON.stringify(stream.origin)}`,
        },
      ],
    };
  }
  return compareStream(ctx, stream.origin, destinationName);
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new LinkerError('ESDBL_VERIFY_BAD_OPTION', `${option} must be a positive integer, got ${value}`, {
      details: { option, value },
    });
  }
  return value;
}
