/**
 * `npm run chaos -- --minutes N --seed S [--min-faults N] [--report FILE]`: a randomized fault run (see chaos-harness.ts).
 * `--min-faults N`: the run goes on past its minutes until every kind of fault has run N times.
 * Prints progress and a summary; writes the JSON report (default chaos-report-<seed>.json); exits 1 when
 * anything was lost, doubled or not exactly copied.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { runChaos } from './chaos-harness.js';
import { chaosSummary } from './chaos-summary.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    seed: { type: 'string' },
    report: { type: 'string' },
    'min-faults': { type: 'string', default: '1' },
  },
});
const minutes = Number(values.minutes);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!(minutes > 0) || !Number.isInteger(seed) || seed < 0) {
  process.stderr.write(`usage: npm run chaos -- --minutes N --seed S [--min-faults N] [--report FILE]\n`);
  process.exit(2);
}
const minFaults = Number(values['min-faults']);
if (!Number.isInteger(minFaults) || minFaults < 1) {
  process.stderr.write(`--min-faults must be a positive integer, got '${values['min-faults']}'\n`);
  process.exit(2);
}
const reportPath = values.report ?? `chaos-report-${seed}.json`;

// A first Ctrl-C (or SIGTERM) ends the fault loop; the run then heals, verifies, reports and stops its processes.
const interrupted = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => interrupted.abort());
const report = await runChaos({
  minutes,
  seed,
  minFaults,
  signal: interrupted.signal,
  log: (line) => process.stdout.write(`${line}\n`),
});
await writeFile(reportPath, `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}` : v), 2)}\n`);
process.stdout.write(`${chaosSummary(report)}\nreport: ${reportPath}\n`);
// An explicit exit: after a run's hundreds of dropped connections Node's own exit clean-up can spin
// forever on an HTTP/2 write that never completes (nodejs/node#58252; see bin/esdb-linker.js).
const exitCode = report.ok ? 0 : 1;
process.stdout.write('', () => process.exit(exitCode));
