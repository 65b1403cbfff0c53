/** Status of monitors, hosts and items, as in the original system. */
export enum SyncStatus {
  Inactive = 0,
  Active = 1,
  Error = 2,
  Syncing = 3,
  /**
   * The monitor refused its credentials (a refused login, or a revoked, disabled or expired API token): no task
   * runs on it until its credentials change, or a synchronous sync or check gets in.
   */
  AuthFailed = 4,
}
