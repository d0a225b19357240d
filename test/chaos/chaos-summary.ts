import type { ChaosReport } from './chaos-harness.js';

/** The human summary of a chaos report (printed by `npm run chaos`, shown by the test). */
export function chaosSummary(report: ChaosReport): string {
  const lines = [
    `chaos run: seed ${report.seed}, ${(report.durationMs / 60_000).toFixed(1)} min, ${report.faults.length} faults, ${report.daemonStarts} daemon starts`,
    `overlapping faults: ${report.overlap.faultsOverlapping} of ${report.faults.length} overlapped another, at most ${report.overlap.maxConcurrent} at once`,
    'faults by kind (count, recovery p50 / max ms, not recovered):',
    ...Object.entries(report.faultsByKind).map(
      ([k, v]) =>
        `  ${k.padEnd(20)} ${String(v.count).padStart(4)}  ${v.recoveryMsP50 ?? '-'} / ${v.recoveryMsMax ?? '-'}  ${v.notRecovered}`,
    ),
    `written: ${report.written.ackedEvents} events acknowledged (${report.written.failedAppends} appends failed, outcome checked at the end)`,
    `final catch-up: ${report.finalCatchUpMs} ms, exit ${report.finalCatchUpExit.code ?? report.finalCatchUpExit.signal}`,
    ...report.verification.links.map(
      (l) =>
        `  ${l.link}: ${l.verified}/${l.sourceEvents} verified (${l.inConflictStreams} as conflicts), lost ${l.lost}, duplicates ${l.duplicates}, exact ${l.exact}${l.problems.length ? `; ${l.problems.join('; ')}` : ''}`,
    ),
    `events verified ${report.eventsVerified}, losses ${report.losses}, duplicates ${report.duplicates}: ${report.ok ? 'OK' : 'FAILED'}`,
  ];
  return lines.join('\n');
}
