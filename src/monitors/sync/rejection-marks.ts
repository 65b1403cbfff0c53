import type { Host } from '../entities/host.entity';
import type { Item } from '../entities/item.entity';
import { MonitorRejectedObjectError } from '../providers/provider-errors';
import type { InventoryWriter } from './inventory-writer';
import { TechnicalNameTakenError } from './technical-names';

/**
 * Runs a write to the monitor about one host or item. When the monitor refuses that object, the row gets the
 * monitor's reason (status 2) and the error goes on: the object failed, the monitor keeps its status.
 */
export async function markingRejection<T>(
  writer: InventoryWriter,
  entity: typeof Host | typeof Item,
  id: number,
  write: () => Promise<T>,
): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const refused = error instanceof MonitorRejectedObjectError || error instanceof TechnicalNameTakenError;
    if (refused) await writer.markRejected(entity, id, error.message);
    throw error;
  }
}
