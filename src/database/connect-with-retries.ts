import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { displayDatabase } from './database-display';

/** The start gave up on the database: its message says which variable to check, and why. */
export class DatabaseUnreachable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnreachable';
    // One line is the whole story (variable, address, reason); a stack trace would only bury it.
    this.stack = `${this.name}: ${message}`;
  }
}

/**
 * Opens the data source, trying `database.retries` more times `database.retry_delay_ms` apart:
 * one warning per failed attempt naming DATABASE_URL (password masked) and the reason, then DatabaseUnreachable.
 */
export async function connectWithRetries(options: DataSourceOptions, config: AppConfig): Promise<DataSource> {
  const logger = new Logger('Database');
  const { retries, delayMs } = config.databaseRetry;
  const where = `DATABASE_URL (${displayDatabase(config.database)})`;
  for (let attempt = 1; ; attempt++) {
    try {
      return await new DataSource(options).initialize();
    } catch (error) {
      const reason = reasonOf(error);
      if (attempt > retries) {
        throw new DatabaseUnreachable(
          `cannot reach the database at ${where} after ${attempt} attempts: ${reason}; check DATABASE_URL and that the database accepts connections`,
        );
      }
      logger.warn({
        msg: `cannot reach the database at ${where}: ${reason}; retry ${attempt} of ${retries} in ${delayMs} ms`,
        reason,
        attempt,
      });
      await sleep(delayMs);
    }
  }
}

/**
 * What went wrong, from the driver's code and message (ECONNREFUSED, ENOTFOUND, password authentication failed
 * for user "x", ...). Node reports a refused connection to a name with several addresses as an AggregateError
 * with an empty message: its first inner error says it.
 */
function reasonOf(error: unknown): string {
  const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: { message?: unknown }[] };
  const text = (typeof message === 'string' && message) || String(errors?.[0]?.message ?? '');
  const codeText = typeof code === 'string' ? code : '';
  if (codeText && !text.includes(codeText)) return text ? `${codeText}: ${text}` : codeText;
  return text || 'unknown error';
}
