import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '../common/http/domain-error';
import { redisReply } from '../redis/bounded';
import { type JobState, readRawJob } from './bull-internals';
import { DeadLetters } from './dead-letters.service';
import { RedisConnections } from '../redis/redis-connections';
import { TaskQueues } from './task-queues';
import type { Queue } from 'bull';
import { parseTaskId, type TaskData, type TaskType } from './task-types';

export type TaskState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'dead' | 'cancelled';

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

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

/**
 * Bull counts only the attempts that failed; a client counts every one made. The attempt that completed the
 * task, or is running it now, is one more.
 */
function attemptsMade(failedAttempts: number, state: TaskState): number {
  return state === 'completed' || state === 'active' ? failedAttempts + 1 : failedAttempts;
}

/** What a client learns from GET /tasks/:task_id, read from the task's Bull job and the dead letters. */
@Injectable()
export class TaskStatusService {
  constructor(
    private readonly queues: TaskQueues,
    private readonly deadLetters: DeadLetters,
    private readonly connections: RedisConnections,
  ) {}

  async get(taskId: string): Promise<TaskStatus> {
    const parsed = parseTaskId(taskId);
    if (!parsed) throw new InvalidInputError('task_id must be <type>:<number>, e.g. pull_hosts:42');
    return redisReply(this.connections.commandClient, () => this.read(taskId, parsed.type, parsed.jobId));
  }

  private async read(taskId: string, type: TaskType, jobId: string): Promise<TaskStatus> {
    const [snapshot, dead] = await Promise.all([readJob(this.queues.of(type), jobId), this.deadLetters.find(taskId)]);
    if (!snapshot && !dead) throw new NotFoundError(`Task ${taskId} not found`);
    if (!snapshot) {
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
    const { state: bullState, job } = snapshot;
    const state: TaskState = dead
      ? 'dead'
      : bullState === 'paused' || bullState === 'stuck'
        ? 'waiting'
        : (bullState as TaskState);
    const progress = job.progress;
    return {
      task_id: taskId,
      type,
      state,
      // A worker does not store the final 100 (a Redis round trip per task): completion implies it.
      progress: state === 'completed' ? 100 : typeof progress === 'number' ? progress : 0,
      attempts_made: attemptsMade(job.attemptsMade, state),
      max_attempts: job.attempts,
      params: job.params,
      result: job.returnvalue,
      // A completed task may carry the reason of an earlier failed attempt; it no longer applies.
      error: state === 'completed' ? null : job.failedReason,
      created_at: iso(job.timestamp),
      started_at: iso(job.processedOn),
      finished_at: iso(job.finishedOn ?? job.cancelledOn),
    };
  }
}

interface JobSnapshot {
  state: JobState;
  job: {
    params: object;
    attempts: number;
    attemptsMade: number;
    progress: unknown;
    returnvalue: unknown;
    failedReason: string | null;
    timestamp: number | null;
    processedOn: number | null;
    finishedOn: number | null;
    cancelledOn: number | null;
  };
}

async function readJob(queue: Queue<TaskData>, jobId: string): Promise<JobSnapshot | undefined> {
  const raw = await readRawJob(queue, jobId);
  if (!raw) return undefined;
  const { state, hash } = raw;
  const json = (field: string): unknown => {
    const text = hash.get(field);
    if (text === undefined || text === '') return null;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };
  const number = (field: string): number | null => {
    const value = Number(hash.get(field));
    return hash.has(field) && Number.isFinite(value) ? value : null;
  };
  const data = (json('data') ?? {}) as Partial<TaskData>;
  const opts = (json('opts') ?? {}) as { attempts?: number };
  return {
    state,
    job: {
      params: data.params ?? {},
      attempts: opts.attempts ?? 1,
      attemptsMade: number('attemptsMade') ?? 0,
      progress: json('progress'),
      returnvalue: json('returnvalue'),
      failedReason: hash.get('failedReason') || null,
      timestamp: number('timestamp'),
      processedOn: number('processedOn'),
      finishedOn: number('finishedOn'),
      cancelledOn: number('cancelledOn'),
    },
  };
}
