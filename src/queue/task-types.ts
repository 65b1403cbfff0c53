/** The guide's seven task types; each has its own Bull queue `<queue.prefix>:<type>`. */
export const TASK_TYPES = [
  'pull_hosts',
  'pull_items',
  'generate_alerts',
  'pull_host',
  'pull_item',
  'push_host',
  'push_item',
] as const;

export type TaskType = (typeof TASK_TYPES)[number];
