import type { DatabaseConnection } from '../config/app-config';

/**
 * The database as an operator may read it in a log line: the SQLite file, or the PostgreSQL URL with its
 * password as `***` (postgres://user:***@host:5432/db). A URL that does not parse shows its scheme only.
 */
export function displayDatabase(database: DatabaseConnection): string {
  if (database.kind === 'sqlite') return `sqlite:${database.path}`;
  let url: URL;
  try {
    url = new URL(database.url);
  } catch {
    return `${database.url.split(':')[0]}://…`;
  }
  if (url.password) url.password = '***';
  // Query parameters may carry credentials too (password=, sslpassword=, sslkey=): they are left out.
  url.search = '';
  return url.toString();
}
