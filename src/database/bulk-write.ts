import type { EntityManager, EntityMetadata, ObjectLiteral } from 'typeorm';
import type { Driver } from 'typeorm/driver/Driver';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { arrayLiteral } from './pg-array-literal';

/**
 * The columns a bulk statement writes to an entity's table, named by entity property. Rows are objects of exactly
 * these properties (`Row<typeof table>`), so a value can no longer land in the wrong column by its position.
 */
export interface BulkTable<E extends ObjectLiteral, C extends keyof E & string> {
  readonly entity: new () => E;
  readonly columns: readonly C[];
  /** The unique key an upsert updates on; empty for a table that is only inserted into. */
  readonly conflict: readonly C[];
  /**
   * When given, an upsert rewrites an existing row only if one of these columns differs from the new values; the
   * other columns (a sync time) follow a changed row and are left as they were on an unchanged one.
   */
  readonly compared?: readonly C[];
}

/** One row of a bulk table: the table's columns, typed as the entity declares them. */
export type Row<T> = T extends BulkTable<infer E, infer C> ? { [K in C]: E[K] } : never;

export function defineTable<E extends ObjectLiteral, C extends keyof E & string>(
  table: BulkTable<E, C>,
): BulkTable<E, C> {
  const compared = table.compared ? { compared: [...table.compared] } : {};
  return Object.freeze({ ...table, columns: [...table.columns], conflict: [...table.conflict], ...compared });
}

/** Rows per statement that stay well under SQLite's and PostgreSQL's bound-parameter limits for any of our tables. */
export const BULK_BATCH = 500;

/**
 * Rows per bulk statement on this database: BULK_BATCH, or on PostgreSQL, whose bulk statements bind one array per
 * column whatever the row count, a batch five times as large. Each statement is a round trip, and the server time of
 * a 1,000-row upsert is hardly more than a 500-row one's. At 5,000 rows, building one statement's arrays held the
 * event loop long enough to show in the API's p99 while a sync builds its next batch during the server's write.
 */
export function bulkBatchOf(manager: EntityManager): number {
  return manager.connection.options.type === 'postgres' ? 5 * BULK_BATCH : BULK_BATCH;
}

/** One multi-row INSERT of the rows, with bound parameters. */
export async function bulkInsert<E extends ObjectLiteral, C extends keyof E & string>(
  manager: EntityManager,
  table: BulkTable<E, C>,
  rows: readonly { [K in C]: E[K] }[],
): Promise<void> {
  if (rows.length === 0) return;
  const statement = prepare(manager, table, rows.length, false);
  await manager.query(statement.sql, bindValues(manager, statement, table.columns, rows));
}

/**
 * INSERT … ON CONFLICT (table.conflict) DO UPDATE of the rows, as `manager.upsert` writes it. Built here rather than
 * by TypeORM: its builder reads ids back (guessed from last_insert_rowid() on SQLite, wrongly for updated rows, so
 * the upsert failed with "entity id is not set"), and it spent most of a sync's CPU assembling parameters, which on
 * SQLite (a synchronous driver) held the event loop. The SQL text for a number of rows is made once.
 *
 * Returns how many rows were written (inserted or updated): with `table.compared`, the rows left alone because
 * nothing compared differed are not; without it, every row is. A caller that knows none of the rows exists yet
 * (`allNew`, a first sync) spares the comparison and the RETURNING, which slowed a first sync by a fifth.
 */
export async function bulkUpsert<E extends ObjectLiteral, C extends keyof E & string>(
  manager: EntityManager,
  table: BulkTable<E, C>,
  rows: readonly { [K in C]: E[K] }[],
  options: { allNew?: boolean } = {},
): Promise<number> {
  return (await bulkUpsertReturning(manager, table, rows, options)).written;
}

/**
 * bulkUpsert, also telling which rows it wrote: their primary keys when the table compares or `key` is given (null
 * when every row was written: `allNew`, or a table without `compared`), and with `key` each written row's id by that
 * column's value, which spares reading the ids of new rows back.
 */
export async function bulkUpsertReturning<E extends ObjectLiteral, C extends keyof E & string>(
  manager: EntityManager,
  table: BulkTable<E, C>,
  rows: readonly { [K in C]: E[K] }[],
  options: { allNew?: boolean; key?: C } = {},
): Promise<{ written: number; ids: number[] | null; byKey: Map<unknown, number> }> {
  if (rows.length === 0) return { written: 0, ids: [], byKey: new Map() };
  if (table.conflict.length === 0) throw new Error(`An upsert into ${table.entity.name} needs its conflict columns`);
  const compared = options.allNew ? undefined : table.compared;
  const statement = prepare(manager, { ...table, compared }, rows.length, true, options.key);
  const result: unknown = await manager.query(statement.sql, bindValues(manager, statement, table.columns, rows));
  if (!compared && !options.key) return { written: rows.length, ids: null, byKey: new Map() };
  const returned = result as { id: number | string; key?: unknown }[];
  const ids = returned.map((row) => Number(row.id));
  const byKey = new Map(returned.map((row, i) => [row.key, ids[i]]));
  return { written: compared ? ids.length : rows.length, ids, byKey };
}

/**
 * The bind array of the rows, row after row, or on PostgreSQL with `unnest` one array literal per column. Each
 * value goes through the driver's own conversion (dates, booleans), so it is stored exactly as TypeORM stores it.
 */
function bindValues<C extends string>(
  manager: EntityManager,
  statement: Statement,
  columns: readonly C[],
  rows: readonly Record<C, unknown>[],
): unknown[] {
  const driver = manager.connection.driver;
  const width = columns.length;
  if (statement.unnest) {
    return columns.map((name, c) => arrayLiteral(converted(driver, statement.columns[c], name, rows)));
  }
  const parameters: unknown[] = new Array(rows.length * width);
  for (let c = 0; c < width; c++) {
    const values = converted(driver, statement.columns[c], columns[c], rows);
    for (let r = 0; r < rows.length; r++) parameters[r * width + c] = values[r];
  }
  return parameters;
}

/**
 * Column types whose string and number values both drivers store as they are: their conversion, a chain of a dozen
 * type tests per value, is not called for those.
 */
const PLAIN_TYPES = new Set<unknown>(['varchar', 'character varying', 'text', 'integer', 'int']);

/**
 * One column's values, converted. Rows of one batch share most of their values (the sync time, the status), and a
 * value equal to the row before's reuses its conversion, the costly part for dates.
 */
function converted<C extends string>(
  driver: Driver,
  column: ColumnMetadata,
  name: C,
  rows: readonly Record<C, unknown>[],
): unknown[] {
  const values: unknown[] = new Array(rows.length);
  let last: unknown;
  let result: unknown;
  // Dates of equal time are distinct objects (a clock per item): their conversions are kept by time.
  const dates = new Map<number, unknown>();
  const plain = !column.transformer && PLAIN_TYPES.has(column.type);
  for (let r = 0; r < rows.length; r++) {
    const value = rows[r][name];
    if (r === 0 || value !== last) {
      last = value;
      if (plain && (typeof value === 'string' || typeof value === 'number')) {
        result = value;
      } else if (value instanceof Date) {
        result = dates.get(value.getTime());
        if (result === undefined) {
          result = driver.preparePersistentValue(value, column);
          dates.set(value.getTime(), result);
        }
      } else {
        result = value === undefined ? null : driver.preparePersistentValue(value, column);
      }
    }
    values[r] = result;
  }
  return values;
}

interface Statement {
  sql: string;
  columns: ColumnMetadata[];
  /** PostgreSQL: the rows come as one array literal per column (unnestValues). */
  unnest: boolean;
}

/**
 * From this many rows on, PostgreSQL gets the rows as one array per column. A VALUES list of 500 item rows is 8,000
 * parameters: the server parsed its text and bound its parameters anew for every batch, which took longer than
 * executing it (a sync spent about 60 % of its server time there).
 */
const UNNEST_FROM_ROWS = 16;

/** Statements by table, columns, row count and dialect: full batches repeat the same text. */
const statements = new Map<string, Statement>();
const STATEMENTS_KEPT = 32;

function prepare<E extends ObjectLiteral, C extends keyof E & string>(
  manager: EntityManager,
  table: BulkTable<E, C>,
  rowCount: number,
  upsert: boolean,
  returnedKey?: C,
): Statement {
  const metadata = manager.connection.getMetadata(table.entity);
  const postgres = manager.connection.options.type === 'postgres';
  const key = `${metadata.tableName}\n${table.columns.join(',')}\n${upsert ? `${table.conflict.join(',')}\n${table.compared?.join(',')}\n${returnedKey}` : ''}\n${rowCount}\n${postgres}`;
  const known = statements.get(key);
  if (known) return known;
  const columns = table.columns.map((property) => {
    const column = metadata.findColumnWithPropertyName(property);
    if (!column) throw new Error(`${metadata.name} has no column ${property}`);
    return column;
  });
  const quote = (column: ColumnMetadata) => `"${column.databaseName}"`;
  const unnest = postgres && rowCount >= UNNEST_FROM_ROWS;
  const values = unnest ? unnestValues(manager, columns) : `VALUES ${tuples(rowCount, columns.length, postgres)}`;
  let sql = `INSERT INTO "${metadata.tableName}" (${columns.map(quote).join(', ')}) ${values}`;
  if (upsert) {
    const conflict = metadata.mapPropertyPathsToColumns([...table.conflict]);
    const overwrite = columns.filter((column) => !conflict.includes(column) && column.isUpdate !== false);
    const updates = [...conflict, ...overwrite].map((column) => `${quote(column)} = EXCLUDED.${quote(column)}`);
    sql += ` ON CONFLICT (${conflict.map(quote).join(', ')}) DO UPDATE SET ${updates.join(', ')}`;
    if (table.compared) sql += onlyChanged(metadata, table.compared, postgres);
    if (table.compared || returnedKey) sql += returning(metadata, returnedKey);
  }
  if (statements.size >= STATEMENTS_KEPT) statements.clear();
  const statement = { sql, columns, unnest };
  statements.set(key, statement);
  return statement;
}

/**
 * The WHERE that skips an update changing none of the compared columns: a row left alone returns nothing, so the
 * RETURNING tells how many rows were written. IS DISTINCT FROM (SQLite: IS NOT) treats two NULLs as equal.
 */
function onlyChanged(metadata: EntityMetadata, compared: readonly string[], postgres: boolean): string {
  const names = metadata.mapPropertyPathsToColumns([...compared]).map((column) => `"${column.databaseName}"`);
  const stored = names.map((name) => `"${metadata.tableName}".${name}`).join(', ');
  const incoming = names.map((name) => `EXCLUDED.${name}`).join(', ');
  const distinct = postgres ? 'IS DISTINCT FROM' : 'IS NOT';
  return ` WHERE (${stored}) ${distinct} (${incoming})`;
}

/** `RETURNING "id" AS "id"`, and the key column's value AS "key" when one is asked for. */
function returning(metadata: EntityMetadata, key: string | undefined): string {
  const primary = `"${metadata.primaryColumns[0].databaseName}" AS "id"`;
  if (!key) return ` RETURNING ${primary}`;
  const column = metadata.findColumnWithPropertyName(key);
  if (!column) throw new Error(`${metadata.name} has no column ${key}`);
  return ` RETURNING ${primary}, "${column.databaseName}" AS "key"`;
}

/** `SELECT * FROM unnest($1::integer[], $2::text[], …)`: the rows, zipped from one array per column. */
function unnestValues(manager: EntityManager, columns: readonly ColumnMetadata[]): string {
  const driver = manager.connection.driver;
  const arrays = columns.map((column, index) => `$${index + 1}::${driver.normalizeType(column)}[]`);
  return `SELECT * FROM unnest(${arrays.join(', ')})`;
}

/** `(?, ?), (?, ?)` for SQLite, `($1, $2), ($3, $4)` for PostgreSQL: the VALUES of `rows` rows of `width` values. */
function tuples(rows: number, width: number, postgres: boolean): string {
  let n = 0;
  const tuple = () => `(${Array.from({ length: width }, () => placeholder(postgres, ++n)).join(', ')})`;
  return Array.from({ length: rows }, tuple).join(', ');
}

/** The n-th (from 1) bound parameter's placeholder: `$n` on PostgreSQL, `?` on SQLite. */
export function placeholder(postgres: boolean, n: number): string {
  return postgres ? `$${n}` : '?';
}
