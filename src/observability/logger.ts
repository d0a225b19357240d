import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { redactValue } from './redact-value.js';

export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerSettings {
  /** @defaultValue 'info' */
  level?: string;
  /** `auto` = human-readable on a terminal, JSON otherwise. @defaultValue 'auto' */
  format?: LogFormat;
  /** Where lines go. @defaultValue process.stdout (fd 1) */
  destination?: NodeJS.WritableStream | number;
  base?: Record<string, unknown>;
}

/**
 * The daemon's root logger: one JSON object per line (level as a label, ISO time), or colourised
 * human-readable lines on a terminal. Links log through `logger.child({ link })`, so every line of a
 * link names it.
 *
 * Credentials never reach a log line, in three layers:
 * 1. every logged object is deep-copied through `redactValue`: secret-named keys (`password`, `token`,
 *    `authorization`, ...) are censored and `connectionString` values masked at any depth, Errors included;
 * 2. `err` is serialized by the same pass (message, stack, own fields, cause chain);
 * 3. every finished JSON line goes through `redactJsonLine` before it is written, which catches what the first
 *    two cannot see: child bindings, interpolated message arguments, and strings in odd places.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const destination = settings.destination ?? 1;
  const format = settings.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && isTerminal(destination));
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: settings.base ? (redactValue(settings.base) as Record<string, unknown>) : null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (obj) => redactValue(obj) as Record<string, unknown>,
    },
    serializers: {
      // The object was already redacted (and Errors flattened) by formatters.log, which pino runs first.
      err: (err: unknown) => err,
    },
  };
  const sink = openSink(destination);
  return pino(options, redactingStream(sink, pretty ? prettyLines(isTerminal(destination)) : (line) => line));
}

/** A logger that drops everything: for library use and tests that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

interface Sink {
  write(chunk: string): unknown;
  flush?(cb?: (err?: Error) => void): void;
}

function openSink(destination: NodeJS.WritableStream | number): Sink {
  // Synchronous writes to a file descriptor: lines written right before process.exit are not lost.
  return typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
}

function isTerminal(destination: NodeJS.WritableStream | number): boolean {
  if (destination === 1) return process.stdout.isTTY === true;
  if (destination === 2) return process.stderr.isTTY === true;
  if (typeof destination === 'number') return false;
  return (destination as { isTTY?: boolean }).isTTY === true;
}

function prettyLines(colorize: boolean): (line: string) => string {
  return prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
}

/**
 * `scheme://user:pass@` inside a serialized JSON line. The user info may hold JSON escapes (`\"`, `\\`)
 * but never crosses an unescaped quote, so a mask cannot swallow the end of one string and the start of
 * the next (`"http://h:1","email":"a@b"` stays intact and the line stays valid JSON).
 */
const CREDENTIALS_IN_JSON = /([a-z][a-z0-9+.-]*:\/\/)((?:[^@/\s?#"\\]|\\.)*)@/gi;

export function redactJsonLine(line: string): string {
  return line.replace(CREDENTIALS_IN_JSON, (_m, scheme: string) => `${scheme}***:***@`);
}

function redactingStream(sink: Sink, render: (line: string) => string): DestinationStream {
  const stream: DestinationStream & { flush?: (cb?: (err?: Error) => void) => void } = {
    write(line: string) {
      sink.write(render(redactJsonLine(line)));
    },
  };
  // pino calls flush() on logger.flush(); forward it so a caller can wait for buffered lines.
  if (sink.flush) stream.flush = (cb) => sink.flush?.(cb);
  return stream;
}
