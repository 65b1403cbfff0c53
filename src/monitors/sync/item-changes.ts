import type { RemoteItem } from '../providers/monitor-provider';
import { itemSyncHash } from './inventory-tables';
import { emptyItemCounts, type ItemSyncCounts } from './sync-result';

/** In place of a stored hash: the batch reported this item again. */
const SEEN = 0;

/**
 * Per local host id, its items on the monitor by external id: the hash of what the last pull wrote of each (null
 * when the row changed since or has none), replaced by SEEN once the batch reports the item again.
 */
export type StoredItems = Map<number, Map<string, string | null | typeof SEEN>>;

/** The reported items a pull must write (new, or changed since the last pull), each with its host and hash. */
export interface ItemChanges {
  items: RemoteItem[];
  hostIds: number[];
  hashes: string[];
  /** total, added and unsupported; updated and unchanged follow from what the upsert writes. */
  counts: ItemSyncCounts;
}

/**
 * Sorts the reported items against the stored ones by hash alone, so an unchanged item costs no row: a new item
 * (not stored) and one whose hash differs (or was not kept) are to write, the rest are left out. Marks each stored
 * item reported as SEEN, for vanishedItems.
 */
export function itemChanges(hosts: Map<string, number>, remote: RemoteItem[], stored: StoredItems): ItemChanges {
  const changes: ItemChanges = { items: [], hostIds: [], hashes: [], counts: emptyItemCounts() };
  const { counts } = changes;
  for (const item of remote) {
    const hostId = hosts.get(item.externalHostId);
    if (hostId === undefined) continue;
    counts.total += 1;
    if (item.state === 'not_supported') counts.unsupported += 1;
    const hash = itemSyncHash(item);
    const hostItems = stored.get(hostId);
    const was = hostItems?.get(item.externalId);
    if (was === undefined) {
      counts.added += 1;
    } else {
      hostItems?.set(item.externalId, SEEN);
      if (was === hash) continue;
    }
    changes.items.push(item);
    changes.hostIds.push(hostId);
    changes.hashes.push(hash);
  }
  return changes;
}

/** Per host, the external ids of its stored items that itemChanges did not see reported. */
export function vanishedItems(stored: StoredItems): Map<number, string[]> {
  const vanished = new Map<number, string[]>();
  for (const [hostId, hostItems] of stored) {
    const gone: string[] = [];
    for (const [externalId, hash] of hostItems) if (hash !== SEEN) gone.push(externalId);
    if (gone.length > 0) vanished.set(hostId, gone);
  }
  return vanished;
}
