import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import Bull, { type Queue } from 'bull';
import Redis from 'ioredis';
import { ConflictError, InvalidInputError, ServiceUnavailableError } from '../common/http/domain-error';
import type { AppConfig } from '../config/app-config';
import type { RedisConnections } from '../redis/redis-connections';
import { TaskDedupe } from './task-dedupe';
import { TaskEndedHook, type TaskEndedListener } from './task-ended.hook';
import { TaskProducer } from './task-producer.service';
import type { TaskQueues } from './task-queues';
import { TaskTargets } from './task-targets';
import { TASK_TYPES, type TaskType } from './task-types';

const REDIS = { host: '127.0.0.1', port: 6379 };
const PREFIX = `task-producer-spec-${process.pid}`;
const config = {
  queue: { prefix: PREFIX, maxRetries: 3, backoffMs: 1000, retentionSeconds: 3600, retentionCount: 100 },
} as AppConfig;

/** A listener that accepts https callbacks only, as the webhooks' URL policy would refuse others. */
const listener: TaskEndedListener = {
  checkCallbackUrl: async (url) => {
    if (!url.startsWith('https://')) throw new InvalidInputError('callback_url must be an https URL');
    return url;
  },
  completed: async () => undefined,
  cancelled: async () => undefined,
  dead: async () => undefined,
};

const dedupe = (queues: TaskQueues, connections: RedisConnections) => new TaskDedupe(queues, connections, config);

describe(TaskProducer.name, () => {
  const queues = new Map<TaskType, Queue>();
  let redis: Redis;
  let replicated = true;
  let hook: TaskEndedHook;
  let targets: TaskTargets;
  let producer: TaskProducer;

  beforeAll(async () => {
    redis = new Redis(REDIS);
    for (const type of TASK_TYPES) queues.set(type, new Bull(type, { prefix: PREFIX, redis: REDIS }));
  });

  beforeEach(async () => {
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    replicated = true;
    hook = new TaskEndedHook();
    hook.subscribe(listener);
    const taskQueues = { of: (type: TaskType) => queues.get(type) } as unknown as TaskQueues;
    const connections = {
      commandClient: redis,
      replicated: async () => replicated,
    } as unknown as RedisConnections;
    targets = new TaskTargets();
    producer = new TaskProducer(taskQueues, connections, config, hook, targets, dedupe(taskQueues, connections));
  });

  afterAll(async () => {
    const keys = await redis.keys(`${PREFIX}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await Promise.all([...queues.values()].map((queue) => queue.close()));
    redis.disconnect();
  });

  it('queues a task with max_retries + 1 attempts, exponential backoff and bounded retention', async () => {
    const { taskId, deduplicated } = await producer.enqueue('pull_hosts', { monitor_id: 5 });
    expect(deduplicated).toBe(false);
    expect(taskId).toMatch(/^pull_hosts:\d+$/);
    const job = await queues.get('pull_hosts')!.getJob(taskId.split(':')[1]);
    expect(job?.data).toEqual({ type: 'pull_hosts', params: { monitor_id: 5 } });
    expect(job?.opts).toMatchObject({
      attempts: 4,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 3600, count: 100 },
      removeOnFail: { age: 3600, count: 100 },
    });
  });

  it('answers a repeat for the same target with the waiting task, and another target with a new one', async () => {
    const first = await producer.enqueue('pull_items', { monitor_id: 1, host_id: 2 });
    const repeat = await producer.enqueue('pull_items', { host_id: 2, monitor_id: 1 });
    const other = await producer.enqueue('pull_items', { monitor_id: 1, host_id: 3 });
    expect(repeat).toEqual({ taskId: first.taskId, deduplicated: true });
    expect(other.taskId).not.toBe(first.taskId);
    expect(await queues.get('pull_items')!.getWaitingCount()).toBe(2);
  });

  it('queues the target again once its task is no longer waiting', async () => {
    const first = await producer.enqueue('pull_hosts', { monitor_id: 9 });
    const worker = new Bull('pull_hosts', { prefix: PREFIX, redis: REDIS });
    const ran = new Promise((resolve) => void worker.process('*', async () => resolve('ran')));
    await ran;
    await worker.close();
    const again = await producer.enqueue('pull_hosts', { monitor_id: 9 });
    expect(again.deduplicated).toBe(false);
    expect(again.taskId).not.toBe(first.taskId);
  });

  it('answers a task taken by a worker until it starts its work, then queues one follow-up', async () => {
    const first = await producer.enqueue('pull_hosts', { monitor_id: 11 });
    const worker = new Bull('pull_hosts', { prefix: PREFIX, redis: REDIS });
    let finish!: () => void;
    const taken = new Promise<string>((resolve) => {
      void worker.process('*', async (job) => {
        resolve(String(job.id));
        await new Promise<void>((done) => (finish = done));
      });
    });
    const jobId = await taken;
    expect(await producer.enqueue('pull_hosts', { monitor_id: 11 })).toEqual({ ...first, deduplicated: true });

    await dedupe(
      { of: (type: TaskType) => queues.get(type) } as unknown as TaskQueues,
      {
        commandClient: redis,
      } as unknown as RedisConnections,
    ).started('pull_hosts', { monitor_id: 11 }, jobId);
    const followUp = await producer.enqueue('pull_hosts', { monitor_id: 11 });
    expect(followUp.deduplicated).toBe(false);
    expect(followUp.taskId).not.toBe(first.taskId);
    expect(await producer.enqueue('pull_hosts', { monitor_id: 11 })).toEqual({ ...followUp, deduplicated: true });
    finish();
    await worker.close();
  });

  it('queues every generate_alerts request as its own task', async () => {
    const first = await producer.enqueue('generate_alerts', { count: 1 });
    const second = await producer.enqueue('generate_alerts', { count: 1 });
    expect(second).toEqual({ taskId: expect.not.stringMatching(first.taskId), deduplicated: false });
  });

  it('stores the callback URL the task-ended listener accepted, and refuses one it rejects', async () => {
    const { taskId } = await producer.enqueue('generate_alerts', { count: 1 }, { callbackUrl: 'https://ok.test/cb' });
    const job = await queues.get('generate_alerts')!.getJob(taskId.split(':')[1]);
    expect(job?.data.callback_url).toBe('https://ok.test/cb');
    await expect(
      producer.enqueue('generate_alerts', { count: 1 }, { callbackUrl: 'http://plain.test/cb' }),
    ).rejects.toThrow(InvalidInputError);
    expect(await queues.get('generate_alerts')!.getWaitingCount()).toBe(1);
  });

  it('refuses a callback URL when nothing listens for ended tasks', async () => {
    const taskQueues = { of: (type: TaskType) => queues.get(type) } as unknown as TaskQueues;
    const connections = { commandClient: redis, replicated: async () => true } as unknown as RedisConnections;
    const lonely = new TaskProducer(
      taskQueues,
      connections,
      config,
      new TaskEndedHook(),
      new TaskTargets(),
      dedupe(taskQueues, connections),
    );
    await expect(lonely.enqueue('pull_hosts', { monitor_id: 1 }, { callbackUrl: 'https://ok.test' })).rejects.toThrow(
      'callback_url cannot be used',
    );
  });

  it("queues nothing when the type's target check refuses, and passes its error on", async () => {
    targets.register(['pull_hosts'], async (_type, params) => {
      if (params.monitor_id === 3) throw new ConflictError('Monitor 3 is disabled');
    });
    await expect(producer.enqueue('pull_hosts', { monitor_id: 3 })).rejects.toThrow('Monitor 3 is disabled');
    expect(await queues.get('pull_hosts')!.getWaitingCount()).toBe(0);
    expect((await producer.enqueue('pull_hosts', { monitor_id: 4 })).deduplicated).toBe(false);
  });

  it('answers 503 when replicas do not confirm the task', async () => {
    replicated = false;
    await expect(producer.enqueue('generate_alerts', { count: 1 })).rejects.toThrow(ServiceUnavailableError);
  });

  it('answers 503 at once when Redis is not ready, and queues nothing', async () => {
    const offline = new Redis({ ...REDIS, lazyConnect: true });
    const taskQueues = { of: (type: TaskType) => queues.get(type) } as unknown as TaskQueues;
    const connections = { commandClient: offline, replicated: async () => true } as unknown as RedisConnections;
    const down = new TaskProducer(
      taskQueues,
      connections,
      config,
      hook,
      new TaskTargets(),
      dedupe(taskQueues, connections),
    );
    await expect(down.enqueue('pull_hosts', { monitor_id: 1 })).rejects.toThrow('Redis is unavailable');
    expect(await queues.get('pull_hosts')!.getWaitingCount()).toBe(0);
    offline.disconnect();
  });
});
