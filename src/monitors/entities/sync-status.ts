/** Status of monitors, hosts and items, as in the original system. */
export enum SyncStatus {
  Inactive = 0,
  Active = 1,
  Error = 2,
  Syncing = 3,
}
