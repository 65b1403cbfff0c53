import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '../common/http/domain-error';
import { bounded } from './bounded';
import { DeadLetters } from './dead-letters.service';
import { TaskQueues } from './task-queues';
import { parseTaskId, type TaskType } from './task-types';

export type TaskState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead';

export interface TaskStatus {
  task_id: string;
  type: TaskType;
  state: TaskState;
  progress: number;
  attempts_made: number;
  max_attempts: number;
  params: object;
  result: unknown;
  error: string | null;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}

const READ_TIMEOUT_MS = 2000;
const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/** What a client learns from GET /tasks/:task_id, read from the task's Bull job and the dead letters. */
@Injectable()
export class TaskStatusService {
  constructor(
    private readonly queues: TaskQueues,
    private readonly deadLetters: DeadLetters,
  ) {}

  async get(taskId: string): Promise<TaskStatus> {
    const parsed = parseTaskId(taskId);
    if (!parsed) throw new InvalidInputError('task_id must be <type>:<number>, e.g. pull_hosts:42');
    return bounded(this.read(taskId, parsed.type, parsed.jobId), READ_TIMEOUT_MS);
  }

  private async read(taskId: string, type: TaskType, jobId: string): Promise<TaskStatus> {
    const [job, dead] = await Promise.all([this.queues.of(type).getJob(jobId), this.deadLetters.find(taskId)]);
    if (!job && !dead) throw new NotFoundError(`Task ${taskId} not found`);
    if (!job) {
      // The failed job was trimmed by retention; its dead letter still says what happened.
      return {
        task_id: taskId,
        type,
        state: 'dead',
        progress: 0,
        attempts_made: dead!.attempts,
        max_attempts: dead!.attempts,
        params: dead!.params,
        result: null,
        error: dead!.error,
        created_at: null,
        started_at: null,
        finished_at: dead!.failed_at,
      };
    }
    const bullState = await job.getState();
    const state: TaskState = dead
      ? 'dead'
      : bullState === 'paused' || bullState === 'stuck'
        ? 'waiting'
        : (bullState as TaskState);
    const progress = job.progress();
    return {
      task_id: taskId,
      type,
      state,
      progress: typeof progress === 'number' ? progress : 0,
      attempts_made: job.attemptsMade,
      max_attempts: job.opts.attempts ?? 1,
      params: job.data.params,
      result: job.returnvalue ?? null,
      // A completed task may carry the reason of an earlier failed attempt; it no longer applies.
      error: state === 'completed' ? null : (job.failedReason ?? null),
      created_at: iso(job.timestamp),
      started_at: iso(job.processedOn),
      finished_at: iso(job.finishedOn),
    };
  }
}
