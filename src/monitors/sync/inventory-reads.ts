import type { EntityManager, EntityMetadata } from 'typeorm';
import { placeholder } from '../../database/bulk-write';
import { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import type { StoredItems } from './item-changes';

/** External id → local id of those of the monitor's hosts with these external ids (at most BULK_BATCH of them). */
export async function hostIdsOf(
  manager: EntityManager,
  monitorId: number,
  externalIds: string[],
): Promise<Map<string, number>> {
  if (externalIds.length === 0) return new Map();
  const metadata = manager.connection.getMetadata(Host);
  const column = (property: string) => `"${columnName(metadata, property)}"`;
  const postgres = isPostgres(manager);
  const placeholders = externalIds.map((_, i) => placeholder(postgres, i + 2)).join(', ');
  const rows = (await manager.query(
    `SELECT ${column('id')} AS "id", ${column('externalId')} AS "externalId" FROM "${metadata.tableName}" ` +
      `WHERE ${column('monitorId')} = ${placeholder(postgres, 1)} AND ${column('externalId')} IN (${placeholders})`,
    [monitorId, ...externalIds],
  )) as { id: number | string; externalId: string }[];
  return new Map(rows.map((row) => [row.externalId, Number(row.id)]));
}

/** Up to `limit` of the monitor's hosts that have an external id, in id order after `afterId`. */
export async function hostPage(
  manager: EntityManager,
  monitorId: number,
  afterId: number,
  limit: number,
): Promise<{ id: number; externalId: string }[]> {
  const metadata = manager.connection.getMetadata(Host);
  const column = (property: string) => `"${columnName(metadata, property)}"`;
  const postgres = isPostgres(manager);
  const rows = (await manager.query(
    `SELECT ${column('id')} AS "id", ${column('externalId')} AS "externalId" FROM "${metadata.tableName}" ` +
      `WHERE ${column('monitorId')} = ${placeholder(postgres, 1)} AND ${column('externalId')} IS NOT NULL ` +
      `AND ${column('id')} > ${placeholder(postgres, 2)} ORDER BY ${column('id')} LIMIT ${Number(limit)}`,
    [monitorId, afterId],
  )) as { id: number | string; externalId: string }[];
  return rows.map((row) => ({ id: Number(row.id), externalId: row.externalId }));
}

/**
 * Adds to `into` (which holds a map for each of these hosts) the items the hosts have on their monitor, with the
 * hash of what the last pull wrote of each, null when the row changed since (its updated_at is no longer its
 * last_sync_at) or has no hash yet.
 */
export async function readSyncedItems(manager: EntityManager, hostIds: number[], into: StoredItems): Promise<void> {
  if (hostIds.length === 0) return;
  const metadata = manager.connection.getMetadata(Item);
  const column = (property: string) => `"${columnName(metadata, property)}"`;
  const postgres = isPostgres(manager);
  const placeholders = hostIds.map((_, i) => placeholder(postgres, i + 1)).join(', ');
  const hash = `CASE WHEN ${column('updatedAt')} = ${column('lastSyncAt')} THEN ${column('syncHash')} END`;
  const rows = (await manager.query(
    `SELECT ${column('hostId')} AS "hostId", ${column('externalId')} AS "externalId", ${hash} AS "syncHash" ` +
      `FROM "${metadata.tableName}" WHERE ${column('hostId')} IN (${placeholders}) AND ${column('externalId')} IS NOT NULL`,
    hostIds,
  )) as { hostId: number | string; externalId: string; syncHash: string | null }[];
  for (const row of rows) into.get(Number(row.hostId))?.set(row.externalId, row.syncHash);
}

function isPostgres(manager: EntityManager): boolean {
  return manager.connection.options.type === 'postgres';
}

/** The column an entity's property is stored in; a property the entity lacks is a programming error. */
export function columnName(metadata: EntityMetadata, property: string): string {
  const column = metadata.findColumnWithPropertyName(property);
  if (!column) throw new Error(`${metadata.name} has no column ${property}`);
  return column.databaseName;
}
