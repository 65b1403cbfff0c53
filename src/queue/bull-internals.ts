import type { Job, Queue } from 'bull';

/**
 * Every use of Bull beyond its public API, in one file: what a Bull upgrade can break without a compile error.
 * Written for Bull 4.16 (src/queue/bull-internals.spec.ts pins that version and exercises each access against a
 * real Redis, so an upgrade that changes one fails there first).
 */
export const BULL_VERSION_WRITTEN_FOR = '4.16';

/** The metadata key @nestjs/bull's @Processor() stores its queue options under (not exported by the package). */
const PROCESSOR_QUEUE_METADATA = 'bull:module_queue';

type BullQueueInternals = Queue & {
  /** One promise per concurrency slot of this process's processor: the job that slot runs now. */
  processing?: Record<string, Promise<unknown>> | Promise<unknown>[];
  /** Subscribes to a global event in Redis; queue.on() calls it and drops the promise. */
  _registerEvent(event: string): Promise<unknown> | undefined;
};

/** The queue name a class names with @Processor(name), or undefined when it has none. */
export function processorQueueName(target: object): string | undefined {
  const options = Reflect.getMetadata(PROCESSOR_QUEUE_METADATA, target) as { name?: string } | undefined;
  return options?.name;
}

/** Resolves once the jobs this process is running on the queue have finished and their outcome is stored. */
export async function activeJobsSettled(queue: Queue): Promise<void> {
  const slots = (queue as BullQueueInternals).processing ?? {};
  await Promise.all(Object.values(slots).map((slot) => slot.catch(() => undefined)));
}

/**
 * Subscribes the queue to a global event (Redis pub/sub) and returns the subscription's promise, which Bull's
 * queue.on() drops: with Redis down it rejects unhandled and the subscription is never made.
 */
export function subscribeGlobalEvent(queue: Queue, event: string): Promise<unknown> {
  return Promise.resolve((queue as BullQueueInternals)._registerEvent(event));
}

/**
 * Moves a job this worker holds back to the front of its queue's wait list (its paused list while the queue is
 * paused for every worker, as Bull's own scripts do) and drops its lock, so another worker takes it at once rather
 * than after Bull's 30-second stall check.
 */
const REQUEUE_ACTIVE = `
if redis.call('lrem', KEYS[1], 1, ARGV[1]) > 0 then
  local target = KEYS[2]
  if redis.call('exists', KEYS[4]) == 1 then target = KEYS[5] end
  redis.call('rpush', target, ARGV[1])
  redis.call('del', KEYS[3])
  return 1
end
return 0`;

/** Puts an active job back at the head of the wait (or paused) list; false when it was no longer active. */
export async function requeueActive(queue: Queue, jobId: string): Promise<boolean> {
  const keys = [
    queue.toKey('active'),
    queue.toKey('wait'),
    `${queue.toKey(jobId)}:lock`,
    queue.toKey('meta-paused'),
    queue.toKey('paused'),
  ];
  return (await queue.client.eval(REQUEUE_ACTIVE, keys.length, ...keys, jobId)) === 1;
}

/**
 * Turns the failure the handler is about to report into a deferral: Bull's own failure path (moveToFailed) then
 * moves the job from active to delayed for `delayMs`, frees the slot at once, and leaves the job's attempts as they
 * were. That path adds one to `attemptsMade` and takes the backoff from the job in memory (never writing the options
 * back), so the count goes back by one beforehand and the backoff becomes a fixed `delayMs` for this failure only.
 * The error returned carries no stack, so the job's stack traces do not grow with each deferral; its message
 * becomes the task's `error` while it waits. Bull publishes no global `failed` event for a job it retries.
 */
export function deferredFailure(job: Job, delayMs: number, reason: string): Error {
  job.attemptsMade -= 1;
  job.opts = { ...job.opts, backoff: { type: 'fixed', delay: delayMs } };
  const error = new Error(reason);
  error.stack = undefined;
  return error;
}

/**
 * Cancels a job no worker holds: takes it out of the wait list, the paused list or the delayed set and marks its
 * hash `cancelledOn`, kept `ttl` ms. One script, so a worker's fetch (itself one Redis step) either took the job
 * first (it is active: not cancelled) or never sees it. The marked hash is in no list or set, so Bull never
 * touches it again.
 */
const CANCEL_JOB = `
local id = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 0 then return 'missing' end
if redis.call('HEXISTS', KEYS[1], 'cancelledOn') == 1 then return 'cancelled' end
local removed = redis.call('LREM', KEYS[2], 0, id) + redis.call('LREM', KEYS[3], 0, id) + redis.call('ZREM', KEYS[4], id)
if removed == 0 then return 'busy' end
redis.call('ZREM', KEYS[5], id)
redis.call('HSET', KEYS[1], 'cancelledOn', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 'done'`;

/** `done` when this call cancelled the job; else why not: no such job, cancelled before, or active or ended. */
export type CancelOutcome = 'done' | 'missing' | 'cancelled' | 'busy';

export async function cancelJob(queue: Queue, jobId: string, ttlMs: number): Promise<CancelOutcome> {
  const keys = [queue.toKey(jobId), queue.toKey('wait'), queue.toKey('paused'), queue.toKey('delayed')];
  keys.push(queue.toKey('priority'));
  const reply = await queue.client.eval(CANCEL_JOB, keys.length, ...keys, jobId, Date.now(), ttlMs);
  return reply as CancelOutcome;
}

/** Each count a queue reports, with the Redis key Bull keeps it in and the command that measures that key. */
export const COUNTED_STATES = [
  ['waiting', 'wait', 'llen'],
  ['active', 'active', 'llen'],
  ['completed', 'completed', 'zcard'],
  ['failed', 'failed', 'zcard'],
  ['delayed', 'delayed', 'zcard'],
  ['paused', 'paused', 'llen'],
] as const;

export type CountedState = (typeof COUNTED_STATES)[number][0];

/** The Redis key of one of the queue's state lists or sets (`wait`, `active`, `completed`...). */
export function stateKey(queue: Queue, key: (typeof COUNTED_STATES)[number][1]): string {
  return queue.toKey(key);
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
if redis.call('HEXISTS', KEYS[1], 'cancelledOn') == 1 then state = 'cancelled'
elseif redis.call('ZSCORE', KEYS[2], id) then state = 'completed'
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

export type JobState = 'completed' | 'failed' | 'delayed' | 'active' | 'waiting' | 'paused' | 'cancelled' | 'stuck';

/** A job's state and the fields of its hash, as Bull stores them (JSON fields still as text). */
export interface RawJob {
  state: JobState;
  hash: Map<string, string>;
}

/** Reads the job's state and hash atomically; undefined when the job does not exist. */
export async function readRawJob(queue: Queue, jobId: string): Promise<RawJob | undefined> {
  const keys = [jobId, 'completed', 'failed', 'delayed', 'active', 'wait', 'paused'].map((key) => queue.toKey(key));
  const reply = (await queue.client.eval(READ_JOB, keys.length, ...keys, jobId)) as [string, string[]] | null;
  if (!reply) return undefined;
  const [state, flat] = reply;
  const hash = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) hash.set(flat[i], flat[i + 1]);
  return { state: state as JobState, hash };
}
