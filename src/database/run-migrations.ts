import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';

/** Any fixed number: processes that start together on PostgreSQL take turns applying migrations. */
const MIGRATION_LOCK_KEY = 74_617_301;

/** How long a process keeps retrying while another one migrates the same SQLite file. */
const SQLITE_RETRY_DEADLINE_MS = 30_000;

export async function runMigrations(dataSource: DataSource): Promise<void> {
  if (dataSource.options.type === 'postgres') return runPostgresMigrations(dataSource);
  return runSqliteMigrations(dataSource);
}

async function runPostgresMigrations(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

/**
 * SQLite has no advisory lock. When two processes migrate one file at once (an api and a worker starting
 * together), the loser's run fails with SQLITE_BUSY or "table ... already exists" and rolls back; it waits a
 * moment and runs again, and then finds the winner's migrations applied. The busy timeout is off meanwhile:
 * better-sqlite3 waits for a lock synchronously, which would stall the whole process (and, within one
 * process, the very connection holding the lock).
 */
async function runSqliteMigrations(dataSource: DataSource): Promise<void> {
  const [{ timeout }] = (await dataSource.query('PRAGMA busy_timeout')) as { timeout: number }[];
  await dataSource.query('PRAGMA busy_timeout = 0');
  const deadline = Date.now() + SQLITE_RETRY_DEADLINE_MS;
  try {
    for (;;) {
      try {
        await dataSource.runMigrations({ transaction: 'all' });
        return;
      } catch (error) {
        if (!isConcurrentMigration(error) || Date.now() > deadline) throw error;
        await sleep(50 + Math.random() * 200);
      }
    }
  } finally {
    await dataSource.query(`PRAGMA busy_timeout = ${Number(timeout)}`);
  }
}

function isConcurrentMigration(error: unknown): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) ||
    (typeof message === 'string' && /already exists/.test(message))
  );
}
