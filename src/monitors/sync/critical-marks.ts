import type { EntityManager } from 'typeorm';
import { placeholder } from '../../database/bulk-write';
import type { Host } from '../entities/host.entity';
import type { Item } from '../entities/item.entity';
import { SyncStatus } from '../entities/sync-status';

/**
 * Puts each host (or item) in error (status 2) with "Critical alert: <message>", in one UPDATE. On PostgreSQL the
 * rows are first locked in id order: an UPDATE locks them in the order it finds them, which concurrent updates
 * reshuffle, and two generations locking the same hosts in opposite orders would deadlock. Plain SQL, as TypeORM's
 * query builder wrote it (updated_at included): building it took more of a generate_alerts task's CPU than running it.
 */
export async function markCritical(
  manager: EntityManager,
  entity: typeof Host | typeof Item,
  messages: Map<number, string>,
): Promise<void> {
  if (messages.size === 0) return;
  const postgres = manager.connection.options.type === 'postgres';
  const table = manager.connection.getMetadata(entity).tableName;
  const ids = [...messages.keys()];
  let n = 0;
  const next = () => placeholder(postgres, ++n);
  if (postgres) {
    const locked = ids.map(next).join(', ');
    await manager.query(`SELECT "id" FROM "${table}" WHERE "id" IN (${locked}) ORDER BY "id" FOR NO KEY UPDATE`, ids);
    n = 0;
  }
  const status = next();
  const cases = ids.map(() => `WHEN ${next()} THEN ${next()}`).join(' ');
  const where = ids.map(next).join(', ');
  await manager.query(
    `UPDATE "${table}" SET "status" = ${status}, "status_description" = CASE "id" ${cases} END, ` +
      `"updated_at" = CURRENT_TIMESTAMP WHERE "id" IN (${where})`,
    [SyncStatus.Error, ...[...messages].flatMap(([id, message]) => [id, `Critical alert: ${message}`]), ...ids],
  );
}
