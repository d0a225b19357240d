import type { CompareResult } from '../verify/compare-types.js';

export interface VerifyRun {
  /** Redacted connection strings (or node names with them). */
  origin: string;
  destination: string;
  streamPrefix: string;
  /** Only the origin events a link's event filters select were compared (revisions not compared). */
  eventSelection?: boolean;
  durationMs: number;
  result: CompareResult;
}

/** The human summary: what was compared, how long it took, and the differences with stream names. */
export function formatVerifyText(run: VerifyRun): string {
  const { result } = run;
  const lines = [
    `origin:      ${run.origin}`,
    `destination: ${run.destination}${run.streamPrefix ? ` (streams prefixed with ${JSON.stringify(run.streamPrefix)})` : ''}`,
    `compared ${plural(result.streamsCompared, 'stream')} and ${plural(result.eventsCompared, 'event')} in ${(run.durationMs / 1000).toFixed(1)} s`,
  ];
  if (run.eventSelection === true) {
    lines.push("events:      the origin's selected events only (event filters applied, revisions not compared)");
  }
  if (result.equal) {
    lines.push('EQUAL: every compared stream matches');
    return lines.join('\n');
  }
  const shown = result.differences.length;
  lines.push(
    result.truncated
      ? `DIFFERENT: stopped after the first ${plural(shown, 'difference')} (raise --max-differences to see more)`
      : `DIFFERENT: ${plural(shown, 'difference')}`,
  );
  for (const d of result.differences) {
    const where = d.revision === undefined ? '' : ` at revision ${d.revision}`;
    const name = run.streamPrefix ? `${d.stream} (destination ${run.streamPrefix}${d.stream})` : d.stream;
    lines.push(`  ${name}: ${d.kind}${where}: ${d.detail}`);
  }
  return lines.join('\n');
}

/** Stable JSON for scripts; revisions are decimal strings (they can exceed 2^53). */
export function verifyJson(run: VerifyRun): object {
  const { result } = run;
  return {
    equal: result.equal,
    origin: run.origin,
    destination: run.destination,
    streamPrefix: run.streamPrefix,
    eventSelection: run.eventSelection === true,
    streamsCompared: result.streamsCompared,
    eventsCompared: result.eventsCompared,
    durationMs: Math.round(run.durationMs),
    truncated: result.truncated,
    differences: result.differences.map((d) => ({
      stream: d.stream,
      destinationStream: run.streamPrefix + d.stream,
      kind: d.kind,
      ...(d.revision === undefined ? {} : { revision: d.revision.toString() }),
      detail: d.detail,
    })),
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
