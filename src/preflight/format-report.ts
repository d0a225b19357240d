import { redactConnectionString } from '../shared/redact.js';
import type { NodeReport } from './probe-access.js';

const LABELS = { ok: 'ok', denied: 'DENIED', 'auth-failed': 'AUTH FAILED', unreachable: 'UNREACHABLE', error: 'ERROR' };

/** Lines for one node: a header naming how it was reached, then one line per right. */
export function formatNodeReport(report: NodeReport, connectionString: string): string[] {
  const who = report.user === undefined ? 'anonymously' : `as user '${report.user}'`;
  const lines = [
    `node ${report.node} (${redactConnectionString(connectionString)}), ${report.tls ? 'TLS' : 'insecure'}, ${who}:`,
  ];
  for (const { check, outcome } of report.results) {
    const links = `[link${check.links.length === 1 ? '' : 's'} ${check.links.join(', ')}]`;
    const label = LABELS[outcome.status].padEnd(11);
    lines.push(`  ${label} ${check.label} ${links}${outcome.status === 'ok' ? '' : `: ${outcome.message}`}`);
  }
  return lines;
}

export function reportFailed(report: NodeReport): boolean {
  return report.results.some((r) => r.outcome.status !== 'ok');
}
