import type { EntityManager } from 'typeorm';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { columnName } from './inventory-reads';

/**
 * Hosts and items a pull must add, between them, before it refreshes the planner's statistics of their tables. Below
 * it a stale plan costs the next pull less than ANALYZE (about 0.1 s): a sequential scan of a 20,000-item table per
 * batch of 100 hosts is 20 × 2 ms; at 50,000 items it is already 50 × 5 ms, and it grows with the square.
 */
export const ANALYZE_AFTER_ADDED = 50_000;
/** How long ANALYZE waits for a lock another session holds (a manual VACUUM, another ANALYZE) before it gives up. */
export const ANALYZE_LOCK_TIMEOUT_MS = 2000;

/**
 * Whether a pull that added these rows refreshes PostgreSQL's planner statistics of hosts and items, as PostgreSQL
 * advises after a bulk load. Autovacuum refreshes them only a minute or more later, and until then a freshly loaded
 * items table looks as small as it was: the next pull's read of the stored hashes (`host_id IN (...)`) ran as a
 * sequential scan of the whole table, 110 ms for each batch of 5,000 items against 1.7 ms by the index, and a
 * re-sync of a million items took 1.3 × the first sync. SQLite's planner takes the index without statistics.
 */
export function analyzesAfter(databaseType: string, added: { hosts: number; items: number }): boolean {
  return databaseType === 'postgres' && added.hosts + added.items >= ANALYZE_AFTER_ADDED;
}

/**
 * Within a transaction: ANALYZE the columns of hosts and items that a pull's reads look them up by (all columns took
 * twice as long), failing rather than waiting past ANALYZE_LOCK_TIMEOUT_MS for a lock. It samples a bounded number
 * of rows, so it costs about the same at a million items as at 20,000.
 */
export async function analyzeInventory(manager: EntityManager): Promise<void> {
  await manager.query(`SET LOCAL lock_timeout = ${ANALYZE_LOCK_TIMEOUT_MS}`);
  await manager.query(
    `ANALYZE ${[statisticsOf(manager, Host, HOST_KEYS), statisticsOf(manager, Item, ITEM_KEYS)].join(', ')}`,
  );
}

/** The columns a pull's reads look hosts and items up by: their statistics are what the plans turn on. */
const HOST_KEYS = ['id', 'monitorId', 'externalId'];
const ITEM_KEYS = ['id', 'hostId', 'externalId'];

/** `"table" ("column", ...)` for ANALYZE, the properties as the table names them. */
function statisticsOf(manager: EntityManager, entity: typeof Host | typeof Item, properties: string[]): string {
  const metadata = manager.connection.getMetadata(entity);
  const columns = properties.map((property) => `"${columnName(metadata, property)}"`);
  return `"${metadata.tableName}" (${columns.join(', ')})`;
}
