import { FINAL_EVENTS, formatEvent, taskEvents } from './task-event-stream';
import type { TaskState, TaskStatus } from './task-status.service';

function task(state: TaskState, progress = 0, attempts = 0, extra: Partial<TaskStatus> = {}): TaskStatus {
  return {
    task_id: 'pull_hosts:7',
    type: 'pull_hosts',
    state,
    progress,
    attempts_made: attempts,
    max_attempts: 4,
    params: { monitor_id: 1 },
    result: null,
    error: null,
    created_at: '2026-01-01T00:00:00.000Z',
    started_at: null,
    finished_at: null,
    ...extra,
  };
}

const names = (events: { event: string }[]) => events.map((e) => e.event);

describe(taskEvents.name, () => {
  it('opens with the state of a task still running', () => {
    expect(taskEvents(undefined, task('waiting'))).toEqual([{ event: 'state', data: task('waiting') }]);
    expect(names(taskEvents(undefined, task('active', 40, 1)))).toEqual(['state']);
  });

  it('opens with the final event alone for a task that has ended', () => {
    const done = task('completed', 100, 1, { result: { added: 3 } });
    expect(taskEvents(undefined, done)).toEqual([{ event: 'completed', data: done }]);
    expect(names(taskEvents(undefined, task('dead', 0, 4, { error: 'boom' })))).toEqual(['dead']);
  });

  it('tells a state change, or else a progress change, and nothing when nothing changed', () => {
    expect(names(taskEvents(task('waiting'), task('active', 0, 1)))).toEqual(['state']);
    expect(taskEvents(task('active', 0, 1), task('active', 25, 1))).toEqual([
      { event: 'progress', data: { task_id: 'pull_hosts:7', progress: 25 } },
    ]);
    expect(taskEvents(task('active', 25, 1), task('active', 25, 1))).toEqual([]);
    // A retry: the same state again, but another attempt; its progress may start lower.
    expect(names(taskEvents(task('active', 50, 1), task('delayed', 50, 1)))).toEqual(['state']);
    expect(names(taskEvents(task('active', 50, 1), task('active', 10, 2)))).toEqual(['state']);
  });

  it('reports the last progress before the completion', () => {
    const done = task('completed', 100, 1);
    expect(taskEvents(task('active', 75, 1), done)).toEqual([
      { event: 'progress', data: { task_id: 'pull_hosts:7', progress: 100 } },
      { event: 'completed', data: done },
    ]);
  });

  it('says nothing of a task failed for good until it is dead, or the wait for that is over', () => {
    const failed = task('failed', 0, 4, { error: 'boom' });
    expect(taskEvents(task('active', 0, 4), failed)).toEqual([]);
    expect(names(taskEvents(failed, task('dead', 0, 4)))).toEqual(['dead']);
    expect(taskEvents(failed, failed, true)).toEqual([{ event: 'failed', data: failed }]);
  });
});

describe(formatEvent.name, () => {
  it('ends with `cancelled` for a task cancelled while it waited, and opens with it once cancelled', () => {
    const waiting = task('waiting');
    expect(names(taskEvents(waiting, task('cancelled')))).toEqual(['cancelled']);
    expect(names(taskEvents(undefined, task('cancelled')))).toEqual(['cancelled']);
    expect(FINAL_EVENTS).toContain('cancelled');
  });

  it('writes one event of the text/event-stream format, its data on one line', () => {
    expect(formatEvent({ event: 'progress', data: { task_id: 'pull_hosts:7', progress: 50 } })).toBe(
      'event: progress\ndata: {"task_id":"pull_hosts:7","progress":50}\n\n',
    );
    const text = formatEvent({ event: 'dead', data: task('dead', 0, 4, { error: 'line one\nline two' }) });
    expect(text.split('\n')).toHaveLength(4);
  });
});
