import type { EntityManager } from 'typeorm';
import { BULK_BATCH } from '../../database/bulk-write';
import type { Host } from '../entities/host.entity';
import { Item } from '../entities/item.entity';
import { SyncStatus } from '../entities/sync-status';
import { chunks } from './chunks';

export const HOST_VANISHED = 'host not found on monitor';
export const ITEM_VANISHED = 'item not found on monitor';

/*
 * Writes of InventoryWriter's pulls, each within the transaction it passes in: hosts and items that vanished from
 * the monitor go to status 2 with the reason, and only those not already marked so are counted.
 */

/** One host or item by id; returns 1 when it vanished now, 0 when it was already marked. */
export function markOneVanished(
  manager: EntityManager,
  entity: typeof Host | typeof Item,
  id: number,
  reason: string,
): Promise<number> {
  return markWhere(manager, entity, reason, 'id = :id', { id });
}

/**
 * Puts the rows in status 2 with the reason, skipping those already marked so: returns how many disappeared in
 * this sync, which a sync reports as `vanished`.
 */
export async function markVanished(
  manager: EntityManager,
  entity: typeof Host | typeof Item,
  owner: { column: 'monitor_id' | 'host_id'; id: number },
  externalIds: string[],
  reason: string,
): Promise<number> {
  let marked = 0;
  for (const batch of chunks(externalIds, BULK_BATCH)) {
    marked += await markWhere(manager, entity, reason, `${owner.column} = :owner AND external_id IN (:...batch)`, {
      owner: owner.id,
      batch,
    });
  }
  return marked;
}

/** A host that vanished took its items with it: those it had on the monitor are marked vanished too. */
export async function markItemsOfVanishedHosts(manager: EntityManager, hostIds: number[]): Promise<number> {
  let marked = 0;
  for (const batch of chunks(hostIds, BULK_BATCH)) {
    marked += await markWhere(manager, Item, ITEM_VANISHED, 'host_id IN (:...batch) AND external_id IS NOT NULL', {
      batch,
    });
  }
  return marked;
}

async function markWhere(
  manager: EntityManager,
  entity: typeof Host | typeof Item,
  reason: string,
  where: string,
  parameters: Record<string, unknown>,
): Promise<number> {
  const result = await manager
    .createQueryBuilder()
    .update(entity)
    .set({ status: SyncStatus.Error, statusDescription: reason })
    .where(where, parameters)
    .andWhere('NOT (status = :error AND status_description = :reason)', { error: SyncStatus.Error, reason })
    .execute();
  return result.affected ?? 0;
}
