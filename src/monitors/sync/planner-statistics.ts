import type { EntityManager } from 'typeorm';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';

/** Hosts and items a pull must add, between them, before it refreshes the planner's statistics of their tables. */
export const ANALYZE_AFTER_ADDED = 10_000;
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
 * Within a transaction: ANALYZE hosts and items (0.2 s at a million items: it samples a bounded number of rows),
 * failing rather than waiting past ANALYZE_LOCK_TIMEOUT_MS for a lock.
 */
export async function analyzeInventory(manager: EntityManager): Promise<void> {
  const tables = [Host, Item].map((entity) => `"${manager.connection.getMetadata(entity).tableName}"`);
  await manager.query(`SET LOCAL lock_timeout = ${ANALYZE_LOCK_TIMEOUT_MS}`);
  await manager.query(`ANALYZE ${tables.join(', ')}`);
}
