export interface SyncCounts {
  added: number;
  updated: number;
  failed: number;
  total: number;
}

/** What every sync returns; a pull of hosts adds the counts of their items. */
export interface SyncResult extends SyncCounts {
  items?: SyncCounts;
}

/** Told how far a sync has got, for task progress. */
export type ProgressListener = (done: number, total: number) => void | Promise<void>;

export const emptyCounts = (): SyncCounts => ({ added: 0, updated: 0, failed: 0, total: 0 });
