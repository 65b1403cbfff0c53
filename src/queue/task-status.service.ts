import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '../common/http/domain-error';
import { bounded } from './bounded';
import { DeadLetters } from './dead-letters.service';
import { TaskQueues } from './task-queues';
import type { Queue } from 'bull';
import { parseTaskId, type TaskData, type TaskType } from './task-types';

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
  ) {}

  async get(taskId: string): Promise<TaskStatus> {
    const parsed = parseTaskId(taskId);
    if (!parsed) throw new InvalidInputError('task_id must be <type>:<number>, e.g. pull_hosts:42');
    return bounded(this.read(taskId, parsed.type, parsed.jobId), READ_TIMEOUT_MS);
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
      finished_at: iso(job.finishedOn),
    };
  }
}

/**
 * The job's hash and the list it is in, read in one script. Bull's job.getState() asks list after list; a job
 * that moves on between two of those questions (active to completed, or to delayed for a retry) is in none of
 * them when asked ("stuck"), and its hash, read apart from its state, may not match that state.
 */
const READ_JOB = `
local id = ARGV[1]
local hash = redis.call('HGETALL', KEYS[1])
if #hash == 0 then return nil end
local state = 'stuck'
if redis.call('ZSCORE', KEYS[2], id) then state = 'completed'
elseif redis.call('ZSCORE', KEYS[3], id) then state = 'failed'
elseif redis.call('ZSCORE', KEYS[4], id) then state = 'delayed'
else
  local lists = { { KEYS[5], 'active' }, { KEYS[6], 'waiting' }, { KEYS[7], 'paused' } }
  for _, list in ipairs(lists) do
    for _, member in ipairs(redis.call('LRANGE', list[1], 0, -1)) do
      if member == id then
        state = list[2]
        break
      end
    end
    if state ~= 'stuck' then break end
  end
end
return { state, hash }`;

interface JobSnapshot {
  state: 'completed' | 'failed' | 'delayed' | 'active' | 'waiting' | 'paused' | 'stuck';
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
  };
}

async function readJob(queue: Queue<TaskData>, jobId: string): Promise<JobSnapshot | undefined> {
  const keys = [jobId, 'completed', 'failed', 'delayed', 'active', 'wait', 'paused'].map((key) => queue.toKey(key));
  const reply = (await queue.client.eval(READ_JOB, keys.length, ...keys, jobId)) as [string, string[]] | null;
  if (!reply) return undefined;
  const [state, flat] = reply;
  const hash = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) hash.set(flat[i], flat[i + 1]);
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
    state: state as JobSnapshot['state'],
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
    },
  };
}
