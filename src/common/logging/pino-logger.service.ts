import type { LoggerService, LogLevel } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * Routes Nest's `Logger` (one per class, `new Logger(X.name)`) to pino, so framework lines and ours are the
 * same JSON. An object passed as the message is merged into the line as fields.
 */
export class PinoLoggerService implements LoggerService {
  /** A child logger per context: pino serializes its bindings once, not on every line. */
  private readonly byContext = new Map<string, Logger>();

  constructor(private readonly root: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    this.write('info', message, rest);
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

  private write(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal', message: unknown, rest: unknown[]) {
    // A line below log.level is dropped before its fields are gathered (TaskProducer logs one per enqueue at debug).
    if (!this.root.isLevelEnabled(level)) return;
    const context = typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
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
}
