/**
 * The guide's seven task types, then the alerts' own (a monitor's problems pulled as alerts, an acknowledgement
 * sent to the monitor), by name only: a leaf that both the config (per-type concurrency keys) and the
 * queue's task catalogue (src/queue/task-types.ts) import, so config depends on no feature.
 */
export const TASK_TYPES = [
  'pull_hosts',
  'pull_items',
  'generate_alerts',
  'pull_host',
  'pull_item',
  'push_host',
  'push_item',
  'pull_alerts',
  'acknowledge_alert',
] as const;

export type TaskType = (typeof TASK_TYPES)[number];
