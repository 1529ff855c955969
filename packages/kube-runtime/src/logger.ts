/** Severity of a log line; lines below the logger's level are dropped. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra structured fields of a log line. Values that are Errors are reduced to their message. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger: one JSON object per line. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (for example `{ informer: 'services' }`). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** The component name on every line (`dns-controller`, `node-proxy`). */
  readonly component: string;
  readonly level?: LogLevel;
  /** Where a finished line (with its newline) goes; stderr by default. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

/**
 * Field names whose values are never written, as a last line of defence: callers must not pass
 * credentials at all, but a token that slips into a field named like one is masked.
 */
const sensitiveField = /token|password|secret|authorization|credential|private.?key/i;

/** Makes a JSON-lines logger writing to stderr; the shape of a line is `{time, level, component, msg, ...}`. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const threshold = severity[options.level ?? 'info'];
  const make = (bound: LogFields): Logger => {
    const emit = (level: LogLevel, message: string, fields?: LogFields) => {
      if (severity[level] < threshold) return;
      const line: Record<string, unknown> = {
        time: now().toISOString(),
        level,
        component: options.component,
        msg: message,
      };
      for (const [key, value] of Object.entries({ ...bound, ...fields })) {
        if (key in line) continue;
        line[key] = sensitiveField.test(key) ? '[redacted]' : loggable(value);
      }
      write(`${safeStringify(line)}\n`);
    };
    return {
      debug: (message, fields) => emit('debug', message, fields),
      info: (message, fields) => emit('info', message, fields),
      warn: (message, fields) => emit('warn', message, fields),
      error: (message, fields) => emit('error', message, fields),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}

/** A logger that drops everything; the default where a logger is optional. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};

function loggable(value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function safeStringify(line: Record<string, unknown>): string {
  try {
    return JSON.stringify(line);
  } catch {
    // A cyclic value: keep the line, lose the fields.
    return JSON.stringify({ time: line.time, level: line.level, component: line.component, msg: line.msg });
  }
}
