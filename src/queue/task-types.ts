import { TASK_TYPES, type TaskType } from '../common/task-type-names';

/** Each task type has its own Bull queue `<queue.prefix>:<type>`. */
export { TASK_TYPES, type TaskType };

/** What each task type carries; a wrong payload for a type is a compile error. */
export interface TaskPayloads {
  pull_hosts: { monitor_id: number };
  pull_items: { monitor_id: number; host_id: number };
  pull_host: { monitor_id: number; host_id: number };
  pull_item: { monitor_id: number; host_id: number; item_id: number };
  /** With `delete`, the host is deleted on the monitor, then here (DELETE /hosts/:id?on_monitor=true). */
  push_host: { monitor_id: number; host_id: number; delete?: true };
  /** With `delete`, the item is deleted on the monitor, then here (DELETE /items/:id?on_monitor=true). */
  push_item: { monitor_id: number; host_id: number; item_id: number; delete?: true };
  generate_alerts: { count: number };
  pull_alerts: { monitor_id: number };
  acknowledge_alert: { alert_id: number };
}

export type Payload<T extends TaskType> = TaskPayloads[T];

/**
 * Types whose repeat request, while the first has not started its work, returns that task instead of queuing
 * another (TaskDedupe). Test alerts have no target to repeat: each request is its own task.
 */
export const DEDUPLICATED: Record<TaskType, boolean> = {
  pull_hosts: true,
  pull_items: true,
  pull_host: true,
  pull_item: true,
  push_host: true,
  push_item: true,
  generate_alerts: false,
  pull_alerts: true,
  acknowledge_alert: true,
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
