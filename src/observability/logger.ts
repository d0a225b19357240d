import pino, { type Logger, type LoggerOptions } from 'pino';
import { redactText } from '../shared/redact.js';

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
 * The daemon's root logger. Credentials never reach a log line: every string message and every
 * serialized error is passed through `redactText`, so a connection string inside an error message from
 * a library is masked too.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const destination = settings.destination ?? 1;
  const isTty = typeof destination === 'number' ? process.stdout.isTTY === true && destination === 1 : false;
  const format = settings.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && isTty);
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: settings.base ?? null,
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (err: unknown) => {
        const s = pino.stdSerializers.err(err as Error);
        return { ...s, message: redactText(String(s.message)), stack: s.stack ? redactText(s.stack) : s.stack };
      },
    },
  };
  if (pretty) {
    return pino(
      options,
      pino.transport({
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', destination: 1 },
      }),
    );
  }
  const stream = typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination;
  return pino(options, stream);
}

/** A logger that drops everything: for library use and tests that do not read logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
