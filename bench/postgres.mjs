// The bench's PostgreSQL database: one of its own per run, created on the server at BENCH_POSTGRES_URL and dropped
// at the end, like the run's Redis keys.
import process from 'node:process';
import pg from 'pg';

/** The server's maintenance database; the run's own database is created beside it. */
export function postgresServerUrl() {
  return process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

function withDatabase(url, database) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onServer(url, statement) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates `nagare_bench_<runId>` and returns its URL, or an error saying how to point the bench at a server. */
export async function createBenchDatabase(runId) {
  const server = postgresServerUrl();
  const database = `nagare_bench_${runId}`;
  try {
    await onServer(server, `CREATE DATABASE "${database}"`);
  } catch (error) {
    throw new Error(
      `No PostgreSQL to bench on at ${server.replace(/\/\/[^@]*@/, '//***@')} (${error.message}). Point ` +
        'BENCH_POSTGRES_URL at a server where this user may create databases, or leave out pgsync and pgdrain ' +
        '(BENCH_ONLY).',
    );
  }
  // Every statement with its duration in the server's log, for this database only: where a sync's time goes.
  if (process.env.BENCH_PG_LOG_STATEMENTS === '1') {
    await onServer(server, `ALTER DATABASE "${database}" SET log_min_duration_statement = 0`);
  }
  return withDatabase(server, database);
}

export async function dropBenchDatabase(runId) {
  await onServer(postgresServerUrl(), `DROP DATABASE IF EXISTS "nagare_bench_${runId}" WITH (FORCE)`);
}

/** The server's version and the settings that shape its figures. */
export async function postgresSettings(url) {
  const { rows } = await onServer(
    url,
    "SELECT name, setting FROM pg_settings WHERE name IN ('server_version', 'shared_buffers', 'synchronous_commit', " +
      "'fsync', 'wal_level', 'max_wal_size')",
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.setting]));
}
