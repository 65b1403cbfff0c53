import type { TaskStatus } from './task-status.service';

/**
 * The Server-Sent Events of GET /tasks/:task_id/events:
 * - `state`: the task's state (or its attempt) changed; data is the whole task, as GET /tasks/:task_id gives it.
 *   The first event of a stream for a task still running is always one.
 * - `progress`: its progress (0-100) changed; data `{task_id, progress}`. It may go down when an attempt is retried.
 * - `completed`, `dead`, `cancelled` or `failed`: the task ended; data is the whole task (with `result` or `error`); the stream
 *   ends after it. `failed` only for a task that failed for good and was not moved to the dead letters in time.
 * - `gone`: the task disappeared (its retention ran out, its dead letter was deleted); data `{task_id, message}`.
 * - `timeout`: the stream reached its longest life; data is the whole task as last seen. Reconnect to go on.
 */
export type TaskEventName = 'state' | 'progress' | 'completed' | 'dead' | 'cancelled' | 'failed' | 'gone' | 'timeout';

export interface TaskEvent {
  event: TaskEventName;
  data: object;
}

export const FINAL_EVENTS: readonly TaskEventName[] = ['completed', 'dead', 'cancelled', 'failed', 'gone', 'timeout'];

/**
 * What a client must be told when the task was `previous` (undefined: nothing was sent yet) and is now
 * `current`. A task in Bull's `failed` state is on its way to the dead letters: nothing is said about it unless
 * `settleFailed`, when it ends the stream as `failed`.
 */
export function taskEvents(previous: TaskStatus | undefined, current: TaskStatus, settleFailed = false): TaskEvent[] {
  const events: TaskEvent[] = [];
  const progressChanged = previous !== undefined && previous.progress !== current.progress;
  const { state } = current;
  if (state === 'completed' || state === 'dead' || state === 'cancelled' || (state === 'failed' && settleFailed)) {
    if (progressChanged) events.push(progress(current));
    events.push({ event: state, data: current });
    return events;
  }
  if (current.state === 'failed') return events;
  if (!previous || previous.state !== current.state || previous.attempts_made !== current.attempts_made) {
    events.push({ event: 'state', data: current });
  } else if (progressChanged) {
    events.push(progress(current));
  }
  return events;
}

function progress(task: TaskStatus): TaskEvent {
  return { event: 'progress', data: { task_id: task.task_id, progress: task.progress } };
}

/** One event in the text/event-stream format; JSON never holds a raw newline, so data is one line. */
export function formatEvent({ event, data }: TaskEvent): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
