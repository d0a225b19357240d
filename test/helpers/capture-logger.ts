import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/observability/logger.js';

/** A JSON logger whose lines a test can search (and print with LINK_TEST_LOG=1 when debugging). */
export function captureLogger(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        if (process.env.LINK_TEST_LOG) process.stderr.write(`${line}\n`);
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not JSON: ignore
        }
      }
      callback();
    },
  });
  return { logger: createLogger({ level, format: 'json', destination }), lines };
}

/** Whether a parsed log line is a warning or worse (levels are labels in the daemon's JSON logs). */
export function isWarning(line: Record<string, unknown>): boolean {
  return ['warn', 'error', 'fatal'].includes(String(line.level)) || Number(line.level) >= 40;
}
