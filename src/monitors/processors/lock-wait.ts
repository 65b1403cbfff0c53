/** A queued sync waits this long for a running sync of the same monitor before it counts as a failed attempt. */
export const LOCK_WAIT_MS = 10 * 60_000;
