/** The small Bull queue that holds the scheduled sync's repeatable job; not a task type, so not in the stats. */
export const SCHEDULE_QUEUE = 'schedule';

/**
 * The repeatable job's fixed id. Bull keys a repeatable job by its name, id and interval, and each run by its
 * slot in time, so every replica that adds it adds the same schedule and the same next run.
 */
export const SYNC_SCHEDULE_JOB_ID = 'sync-enabled-monitors';

/** Finished runs of the schedule kept for the dashboard (and the tests) to look at. */
export const KEEP_TICKS = 50;
