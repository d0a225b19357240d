/**
 * `npm run soak -- --minutes N [--rate R] [--sample-seconds S] [--warm-up-seconds W] [--out DIR]`: steady traffic through the demo
 * topology, sampling the daemon (see soak-run.ts). Writes soak-report.json, soak-samples.csv and
 * soak-chart.svg into DIR (default test-output/soak-<time>) and prints the growth figures.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runSoak } from './soak-run.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '60' },
    rate: { type: 'string', default: '2000' },
    'sample-seconds': { type: 'string', default: '10' },
    'warm-up-seconds': { type: 'string' },
    out: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const sampleSeconds = Number(values['sample-seconds']);
const warmUp = values['warm-up-seconds'] === undefined ? undefined : Number(values['warm-up-seconds']);
if (!(minutes > 0) || !(rate > 0) || !(sampleSeconds > 0) || (warmUp !== undefined && !(warmUp >= 0))) {
  process.stderr.write(
    'usage: npm run soak -- --minutes N [--rate EVENTS_PER_S] [--sample-seconds S] [--warm-up-seconds W] [--out DIR]\n',
  );
  process.exit(2);
}
const outDir = values.out ?? join('test-output', `soak-${new Date().toISOString().replace(/[:.]/g, '-')}`);
// Ctrl-C (or SIGTERM) ends the run early; the daemon and emulators it started are stopped, never orphaned.
const interrupted = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => interrupted.abort());
const report = await runSoak({
  signal: interrupted.signal,
  minutes,
  rate,
  sampleEveryMs: sampleSeconds * 1000,
  ...(warmUp === undefined ? {} : { warmUpSeconds: warmUp }),
  outDir,
  log: (line) => process.stdout.write(`${line}\n`),
});
const g = report.growth;
const pct = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(1)} %/h`);
process.stdout.write(
  [
    `soak: ${report.samples.length} samples, warm-up ${report.warmUpSeconds} s, ${report.writeErrors} write errors`,
    `growth after warm-up: RSS ${pct(g.rssPctPerHour)}, heap ${pct(g.heapPctPerHour)}`,
    `open handles: first ${g.handlesFirst}, last ${g.handlesLast}, max ${g.handlesMax}; lag p99 ${g.lagSecondsP99} s`,
    `files: ${report.files.json}, ${report.files.csv}, ${report.files.svg}`,
  ].join('\n') + '\n',
);
