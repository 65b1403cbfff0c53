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

/** What each task type carries; a wrong payload for a type is a compile error. */
export interface TaskPayloads {
  pull_hosts: { monitor_id: number };
  pull_items: { monitor_id: number; host_id: number };
  pull_host: { monitor_id: number; host_id: number };
  pull_item: { monitor_id: number; host_id: number; item_id: number };
  push_host: { monitor_id: number; host_id: number };
  push_item: { monitor_id: number; host_id: number; item_id: number };
  generate_alerts: { count: number };
}

export type Payload<T extends TaskType> = TaskPayloads[T];

/**
 * Types whose repeat request, while the first is still waiting, returns the waiting task instead of queuing
 * another. Test alerts have no target to repeat: each request is its own task.
 */
export const DEDUPLICATED: Record<TaskType, boolean> = {
  pull_hosts: true,
  pull_items: true,
  pull_host: true,
  pull_item: true,
  push_host: true,
  push_item: true,
  generate_alerts: false,
};

/** The data of every Bull job we enqueue. */
export interface TaskData<T extends TaskType = TaskType> {
  type: T;
  params: Payload<T>;
  /** Where the result is POSTed when the task ends, if the client asked. */
  callback_url?: string;
}

/** The Bull queue that holds tasks which failed for good. */
export const DEAD_LETTER_QUEUE = 'dead';

export function isTaskType(value: string): value is TaskType {
  return (TASK_TYPES as readonly string[]).includes(value);
}

/** The id a client sees: `<type>:<bull job id>`, so it routes back to its queue with no lookup. */
export function formatTaskId(type: TaskType, jobId: string | number): string {
  return `${type}:${jobId}`;
}

export function parseTaskId(taskId: string): { type: TaskType; jobId: string } | undefined {
  const separator = taskId.indexOf(':');
  if (separator < 0) return undefined;
  const type = taskId.slice(0, separator);
  const jobId = taskId.slice(separator + 1);
  if (!isTaskType(type) || !/^\d{1,20}$/.test(jobId)) return undefined;
  return { type, jobId };
}
