/**
 * The scaling table alone (bench-link prints it at the end of a full run):
 *
 *   npm run build && node dist/test/bench/bench-scaling.js     (BENCH_SCALE_EVENTS=5000 for a smoke run)
 */
import { loadavg } from 'node:os';
import { installRawBytes } from '../../src/client/raw-bytes.js';
import { createLogger } from '../../src/observability/logger.js';
import { formatScaling, runScaling } from './scaling.js';

async function main(): Promise<void> {
  installRawBytes();
  const logger = createLogger({ level: process.env.BENCH_LOG_LEVEL ?? 'warn', format: 'json', destination: 2 });
  const rows = await runScaling(logger, (row) =>
    process.stderr.write(`  ${row.name}: ${Math.round(row.eventsPerSecond)} ev/s\n`),
  );
  process.stdout.write(
    `scaling (load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n${formatScaling(rows)}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench-scaling failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
