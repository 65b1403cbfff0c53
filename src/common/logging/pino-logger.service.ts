import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from 'pino';
import { FlatLineWriter } from './flat-line';

/**
 * Nest's own start-up listing (every module loaded, every route mapped: about a hundred lines) goes to debug, so
 * an info start stays short enough to see the generated admin password and the listening line.
 */
const FRAMEWORK_CHATTER = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/** Top-level names in create-logger's REDACTED_PATHS: an unredacted line may not have a field so named. */
type RedactedName = 'password' | 'token' | 'secret' | 'api_token';

/** Flat fields, none of them a redacted name: no path of REDACTED_PATHS can reach into them. */
export type UnredactedFields = Readonly<Record<string, string | number | boolean | undefined>> & {
  readonly [name in RedactedName]?: never;
};

/**
 * A line written without pino's redaction pass, which runs every field of every line through the wildcard paths
 * (`*.password`, ...) and was most of the cost of the worker's two lines per task. Only for lines whose fields the
 * writer chose and which hold no secret (ids, counts, durations); the type keeps them flat and off the redacted
 * names. Anything else (an error, a payload) is logged as a plain object and redacted as always. Such a line is
 * serialised by FlatLineWriter (the same bytes as pino's, without its generic pass over the fields).
 */
export class UnredactedLine {
  constructor(
    readonly msg: string,
    readonly fields: UnredactedFields,
  ) {}
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** The unredacted child of a context, and its writer of flat lines (undefined: pino writes them). */
interface Unredacted {
  logger: Logger;
  flat: FlatLineWriter | undefined;
}

/**
 * Routes Nest's `Logger` (one per class, `new Logger(X.name)`) to pino, so framework lines and ours are the
 * same JSON. An object passed as the message is merged into the line as fields.
 */
export class PinoLoggerService implements LoggerService {
  /** A child logger per context: pino serializes its bindings once, not on every line. */
  private readonly byContext = new Map<string, Logger>();
  private readonly unredactedByContext = new Map<string | undefined, Unredacted>();

  constructor(private readonly root: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    const context = rest[rest.length - 1];
    this.write(typeof context === 'string' && FRAMEWORK_CHATTER.has(context) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }
  setLogLevels(_levels: LogLevel[]) {
    // The level comes from log.level; Nest's own level list is not used.
  }

  private write(level: Level, message: unknown, rest: unknown[]) {
    // A line below log.level is dropped before its fields are gathered (TaskProducer logs one per enqueue at debug).
    if (!this.root.isLevelEnabled(level)) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    if (message instanceof UnredactedLine) return this.writeUnredacted(level, context, message);
    const stack =
      level === 'error' && typeof rest[0] === 'string' && rest[0].includes('\n    at ') ? rest[0] : undefined;
    const logger = this.loggerFor(context);
    const fields: Record<string, unknown> = stack ? { stack } : {};
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, message.message);
    } else if (message !== null && typeof message === 'object') {
      const { msg, ...rest } = message as Record<string, unknown>;
      logger[level](stack ? { ...fields, ...rest } : rest, typeof msg === 'string' ? msg : '');
    } else {
      logger[level](fields, String(message));
    }
  }

  private loggerFor(context: string | undefined): Logger {
    if (context === undefined) return this.root;
    let logger = this.byContext.get(context);
    if (!logger) {
      logger = this.root.child({ context });
      this.byContext.set(context, logger);
    }
    return logger;
  }

  private writeUnredacted(level: Level, context: string | undefined, line: UnredactedLine): void {
    let unredacted = this.unredactedByContext.get(context);
    if (!unredacted) {
      const logger = this.root.child(context === undefined ? {} : { context }, { redact: { paths: [] } });
      unredacted = { logger, flat: FlatLineWriter.forLogger(logger) };
      this.unredactedByContext.set(context, unredacted);
    }
    if (!unredacted.flat?.write(level, line.fields, line.msg)) unredacted.logger[level](line.fields, line.msg);
  }
}
