import winston from 'winston';
import Transport from 'winston-transport';

/**
 * The fields a log line may carry. Anything else is dropped, so patient data cannot reach a log
 * by accident: there is no field for it.
 */
export interface LogFields {
  readonly requestId?: string;
  readonly method?: string;
  readonly route?: string;
  readonly status?: number;
  readonly durationMs?: number;
  readonly rulesetId?: string;
  readonly rulesetVersion?: string;
  readonly rulesetHash?: string;
  readonly firedRules?: readonly string[];
  readonly problemCode?: string;
  readonly ruleCount?: number;
  readonly port?: number;
  readonly host?: string;
  readonly issues?: readonly string[];
  readonly errorName?: string;
  readonly mode?: string;
  /** The evaluation's id (an opaque UUID the service made). */
  readonly evaluationId?: string;
  /** Who called: `key:<digest prefix>`, `jwt:<sub>` or `development`; never a key or token. */
  readonly caller?: string;
  readonly cdsService?: string;
  readonly feedbackAccepted?: number;
  readonly feedbackOverridden?: number;
}

const ALLOWED: ReadonlySet<string> = new Set<keyof LogFields>([
  'requestId',
  'method',
  'route',
  'status',
  'durationMs',
  'rulesetId',
  'rulesetVersion',
  'rulesetHash',
  'firedRules',
  'problemCode',
  'ruleCount',
  'port',
  'host',
  'issues',
  'errorName',
  'mode',
  'evaluationId',
  'caller',
  'cdsService',
  'feedbackAccepted',
  'feedbackOverridden',
]);

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export function pickAllowed(fields: LogFields | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields === undefined) return out;
  for (const [key, value] of Object.entries(fields)) {
    if (ALLOWED.has(key) && value !== undefined) out[key] = value;
  }
  return out;
}

/** Where winston's transports read the finished line (triple-beam's MESSAGE, a registered symbol). */
const MESSAGE = Symbol.for('message');

/**
 * One JSON line per entry: the allow-listed fields, level, message and an ISO timestamp. The
 * fields are plain strings, numbers and string arrays (see LogFields), so plain JSON.stringify
 * is enough; it costs half of winston's timestamp() + json() (safe-stable-stringify), which
 * showed in the per-request profile as the access log.
 */
const jsonLine = winston.format((info) => {
  info.timestamp = new Date().toISOString();
  (info as Record<symbol, unknown>)[MESSAGE] = JSON.stringify(info);
  return info;
});

/**
 * Writes lines to stdout in batches: the lines logged during one turn of the event loop go out
 * in one write when it ends (and at exit), rather than one write system call per line — under
 * load the access log was ~10% of a request's CPU. Order is kept; nothing waits on the write.
 */
export class StdoutLines extends Transport {
  private pending: string[] = [];
  private scheduled = false;

  constructor(private readonly out: { write(text: string): unknown } = process.stdout) {
    super();
    process.once('exit', this.flush);
  }

  override log(info: unknown, next: () => void): void {
    this.line(String((info as Record<symbol, unknown>)[MESSAGE]));
    next();
  }

  /** Queues one finished line (without its newline) for this turn's write. */
  line(text: string): void {
    this.pending.push(`${text}\n`);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is pending now (also called at exit, so no line is left behind). */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.out.write(text);
  };
}

/** winston's npm levels: a line is written when its rank is at most the logger's. */
const RANKS: Readonly<Record<string, number>> = { error: 0, warn: 1, info: 2, debug: 5 };

/**
 * JSON lines on stdout (or any winston transport given, e.g. in tests). When every transport is
 * a StdoutLines (the service's case), lines skip winston: the same line (the allow-listed fields,
 * then level, message and timestamp, as winston's info object orders them) is built here and
 * queued directly — winston's info object, format pipeline and stream plumbing cost ~10 µs per
 * access-log line, a noticeable part of a request (README, Performance). test/unit/logger.test.ts
 * requires both ways to write the same lines.
 */
export function createLogger(level: string, transports?: winston.transport[]): Logger {
  const all = transports ?? [new StdoutLines()];
  if (all.length > 0 && all.every((t) => t instanceof StdoutLines && t.level === undefined))
    return directLogger(level, all as StdoutLines[]);
  return winstonLogger(level, all);
}

function directLogger(level: string, sinks: readonly StdoutLines[]): Logger {
  const max = RANKS[level] ?? RANKS.info ?? 2;
  const log =
    (lvl: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      if ((RANKS[lvl] ?? 0) > max) return;
      const info = pickAllowed(fields);
      info.level = lvl;
      info.message = message;
      info.timestamp = new Date().toISOString();
      const line = JSON.stringify(info);
      for (const sink of sinks) sink.line(line);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

function winstonLogger(level: string, transports: winston.transport[]): Logger {
  const w = winston.createLogger({
    level,
    format: jsonLine(),
    transports,
  });
  const log =
    (lvl: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, fields?: LogFields): void => {
      w.log(lvl, message, pickAllowed(fields));
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
