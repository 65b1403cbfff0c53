import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { types as pgTypes, defaults as pgDefaults } from 'pg';
import type { DataSourceOptions, MixedList } from 'typeorm';
import type { DatabaseConnection } from '../config/app-config';
import { MIGRATIONS } from './migrations';

const PG_TIMESTAMP_WITHOUT_TZ = 1114;

/**
 * TypeORM options for the configured database: a SQLite file in WAL mode by default, PostgreSQL by URL. The app
 * passes no entities (its feature modules register theirs); tools pass src/cli-data-source.ts's list.
 */
export function dataSourceOptions(
  database: DatabaseConnection,
  entities: MixedList<string | (new () => object)> = [],
): DataSourceOptions {
  const common = { entities, migrations: MIGRATIONS, synchronize: false, migrationsRun: false } as const;
  if (database.kind === 'sqlite') {
    if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: database.path,
      enableWAL: true,
      timeout: 5000,
      // WAL's recommended setting: a commit no longer waits for an fsync (94 µs against 10 µs per INSERT here), the
      // database stays consistent, and a process crash loses nothing; only a power loss or OS crash may roll back
      // the last commits, as Redis's AOF (fsync every second) may lose the last second of the queue.
      prepareDatabase: (db: { pragma(source: string): unknown }) => void db.pragma('synchronous = NORMAL'),
    };
  }
  useUtcTimestamps();
  return {
    ...common,
    type: 'postgres',
    url: database.url,
    // Every session in UTC: now() and CURRENT_TIMESTAMP fill `timestamp` columns in the session's zone, which
    // the parser below reads as UTC; a server or database configured in another zone would shift them.
    extra: { max: 10, connectionTimeoutMillis: 5000, options: '-c TimeZone=UTC' },
  };
}

/** Timestamps are stored as UTC whatever the process time zone, so SQLite and PostgreSQL read back the same instant. */
function useUtcTimestamps(): void {
  pgDefaults.parseInputDatesAsUTC = true;
  pgTypes.setTypeParser(PG_TIMESTAMP_WITHOUT_TZ, (text) => new Date(`${text.replace(' ', 'T')}Z`));
}
