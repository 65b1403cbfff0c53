import type { EntityManager } from 'typeorm';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';

/** Hosts or items a pull must add before it refreshes the planner's statistics of the inventory's tables. */
export const ANALYZE_AFTER_ADDED = 10_000;

/**
 * Refreshes PostgreSQL's planner statistics of hosts and items after a pull that added at least
 * ANALYZE_AFTER_ADDED rows, as PostgreSQL advises after a bulk load; answers whether it did. Autovacuum refreshes
 * them only a minute or more later, and until then a freshly loaded items table looks as small as it was: the
 * next pull's read of the stored hashes (`host_id IN (...)`) ran as a sequential scan of the whole table, 110 ms
 * for each batch of 5,000 items against 1.7 ms by the index, and a re-sync of a million items took 1.3 × the first
 * sync. ANALYZE samples a bounded number of rows (0.2 s at a million items). SQLite's planner takes the index
 * without statistics, so it is left alone there.
 */
export async function analyzeAfterBulkLoad(
  manager: EntityManager,
  added: { hosts: number; items: number },
): Promise<boolean> {
  if (manager.connection.options.type !== 'postgres') return false;
  if (added.hosts + added.items < ANALYZE_AFTER_ADDED) return false;
  const tables = [Host, Item].map((entity) => `"${manager.connection.getMetadata(entity).tableName}"`);
  await manager.query(`ANALYZE ${tables.join(', ')}`);
  return true;
}
