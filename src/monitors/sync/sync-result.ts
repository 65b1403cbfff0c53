/**
 * What a sync did to one kind of row. `total` is what the monitor reported: added, updated (a stored field changed),
 * unchanged (left as it was, not rewritten) and failed. `vanished` counts the rows that disappeared from the monitor
 * in this sync (now status 2), outside `total`.
 */
export interface SyncCounts {
  added: number;
  updated: number;
  unchanged: number;
  vanished: number;
  failed: number;
  total: number;
}

/** Item counts, with how many of the reported items the monitor cannot collect (state not_supported). */
export interface ItemSyncCounts extends SyncCounts {
  unsupported: number;
}

/** What every sync returns; a pull of hosts adds the counts of their items, a pull of items counts unsupported. */
export interface SyncResult extends SyncCounts {
  unsupported?: number;
  /** A delete on the monitor only: 1 when the monitor deleted the object, 0 when it no longer had it. */
  deleted?: number;
  items?: ItemSyncCounts;
}

/** Told how far a sync has got, for task progress. */
export type ProgressListener = (done: number, total: number) => void | Promise<void>;

export const emptyCounts = (): SyncCounts => ({ added: 0, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 0 });

export const emptyItemCounts = (): ItemSyncCounts => ({ ...emptyCounts(), unsupported: 0 });

/** Adds `more` into `into`, field by field. */
export function addCounts<T extends SyncCounts>(into: T, more: T): void {
  for (const key of Object.keys(into) as (keyof T)[]) (into[key] as number) += more[key] as number;
}
