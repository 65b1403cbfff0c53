import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { DiscoveryService } from '@nestjs/core';
import Bull, { type Job, type Queue } from 'bull';
import type { AppConfig } from '../config/app-config';
import type { RedisConnections } from '../redis/redis-connections';
import type { DeadQueue } from './dead-queue';
import { TaskDeferredError } from './task-errors';
import { type HostedQueue, WorkerHost } from './worker-host';

const REDIS = { host: '127.0.0.1', port: 6379 };
const PREFIX = `worker-host-spec-${process.pid}`;

class FinalError extends Error {}

/** A dead queue that keeps what it is given, by job id. */
class KeptDead implements DeadQueue<unknown> {
  readonly buried = new Map<string, string>();
  async bury(job: Job<unknown>, reason: string): Promise<void> {
    this.buried.set(String(job.id), reason);
  }
  async holds(job: Job<unknown>): Promise<boolean> {
    return this.buried.has(String(job.id));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe(WorkerHost.name, () => {
  const queues: Queue[] = [];
  let closedConnections = 0;
  let counter = 0;

  /** A host over fresh queues of its own (the app's queues, as discovery would find them). */
  function setUp(shutdownTimeoutMs = 5000, role = 'worker') {
    counter += 1;
    const queue = new Bull(`q${counter}`, { prefix: PREFIX, redis: REDIS });
    queues.push(queue);
    const config = { role, queue: { shutdownTimeoutMs } } as unknown as AppConfig;
    const discovery = { getProviders: () => [{ instance: queue }, { instance: {} }] } as unknown as DiscoveryService;
    const connections = { closeAll: async () => void (closedConnections += 1) } as unknown as RedisConnections;
    const host = new WorkerHost(config, discovery, connections);
    host.onModuleInit();
    return { host, queue };
  }

  function hosted(queue: Queue, overrides: Partial<HostedQueue<unknown>>): HostedQueue<unknown> {
    return {
      queue,
      jobs: 'spec jobs',
      concurrency: 2,
      handle: async () => 'done',
      isFinal: (error) => error instanceof FinalError,
      describe: (job) => `spec job ${String(job.id)}`,
      ...overrides,
    };
  }

  afterEach(async () => {
    await Promise.all(queues.map((queue) => queue.close(true).catch(() => undefined)));
  });

  afterAll(async () => {
    const probe = new Bull('cleanup', { prefix: PREFIX, redis: REDIS });
    const keys = await probe.client.keys(`${PREFIX}:*`);
    if (keys.length > 0) await probe.client.del(...keys);
    await probe.close();
  });

  it('retries a failing job with exponential backoff and buries it once no attempt is left', async () => {
    const { host, queue } = setUp();
    const dead = new KeptDead();
    let calls = 0;
    host.run(hosted(queue, { dead, handle: async () => Promise.reject(new Error(`refused ${++calls}`)) }));
    const job = await queue.add({}, { attempts: 3, backoff: { type: 'exponential', delay: 10 } });
    const reason = await eventually('the burial', async () => dead.buried.get(String(job.id)));
    expect(reason).toBe('refused 3');
    expect(calls).toBe(3);
    const stored = await queue.getJob(job.id);
    expect(await stored?.getState()).toBe('failed');
    expect(stored?.attemptsMade).toBe(3);
  });

  it('sends a final failure to the dead queue at once, without its retries', async () => {
    const { host, queue } = setUp();
    const dead = new KeptDead();
    let calls = 0;
    host.run(hosted(queue, { dead, handle: async () => Promise.reject(new FinalError(`gone ${++calls}`)) }));
    const job = await queue.add({}, { attempts: 4, backoff: { type: 'fixed', delay: 10 } });
    expect(await eventually('the burial', async () => dead.buried.get(String(job.id)))).toBe('gone 1');
    await sleep(100);
    expect(calls).toBe(1);
    expect((await queue.getJob(job.id))?.attemptsMade).toBe(1);
  });

  it('gives the slot of a deferred job to the next one, and runs it again later without counting an attempt', async () => {
    const { host, queue } = setUp();
    let busy = true;
    const order: string[] = [];
    host.run(
      hosted(queue, {
        concurrency: 1,
        handle: async (job) => {
          const name = (job.data as { name: string }).name;
          if (name === 'deferred' && busy) {
            order.push('deferred');
            throw new TaskDeferredError('monitor busy');
          }
          order.push(name);
          return name;
        },
      }),
    );
    const deferred = await queue.add({ name: 'deferred' }, { attempts: 1 });
    await eventually('the deferral', async () => ((await deferred.getState()) === 'delayed' ? true : undefined));
    const other = await queue.add({ name: 'other' });
    // One slot only: the other job runs while the deferred one waits.
    expect(await other.finished()).toBe('other');
    busy = false;
    expect(await deferred.finished()).toBe('deferred');
    expect(order[0]).toBe('deferred');
    expect(order.slice(-1)).toEqual(['deferred']);
    expect(order.indexOf('other')).toBeLessThan(order.lastIndexOf('deferred'));
    const stored = await queue.getJob(deferred.id);
    // attempts: 1, deferred at least once, and still completed on that one attempt.
    expect(stored?.attemptsMade).toBe(0);
    expect(await stored?.getState()).toBe('completed');
  });

  it('completes a job with the handler result and stores progress only when the percentage changes', async () => {
    const { host, queue } = setUp();
    const percents: number[] = [];
    queue.on('progress', (_job: Job, percent: number) => percents.push(percent));
    host.run(
      hosted(queue, {
        handle: async (_job, progress) => {
          for (const done of [0, 1, 1, 2, 3]) await progress(done, 3);
          return { pulled: 3 };
        },
      }),
    );
    const job = await queue.add({});
    const result = await job.finished();
    expect(result).toEqual({ pulled: 3 });
    expect(percents).toEqual([0, 33, 66, 100]);
  });

  it('runs named jobs and the unnamed ones an older version left in Redis, each once', async () => {
    const { host, queue } = setUp();
    const unnamed = await queue.add({ n: 1 });
    const named = await queue.add('pull_hosts', { n: 2 });
    expect([unnamed.name, named.name]).toEqual(['__default__', 'pull_hosts']);
    const ran: unknown[] = [];
    host.run(hosted(queue, { handle: async (job) => ran.push(job.data) }));
    await Promise.all([unnamed.finished(), named.finished()]);
    expect(ran).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await queue.getCompletedCount()).toBe(2);
  });

  it('buries on start what failed for good while nobody could bury it, once however often it sweeps', async () => {
    const { host, queue } = setUp();
    const bare = new Bull(queue.name, { prefix: PREFIX, redis: REDIS });
    queues.push(bare);
    void bare.process(async () => Promise.reject(new Error('lost before the burial')));
    const job = await bare.add({});
    await eventually('the failure', async () => ((await queue.getJob(job.id))?.finishedOn ? true : undefined));
    await bare.close();

    const dead = new KeptDead();
    host.run(hosted(queue, { dead }));
    expect(await eventually('the sweep', async () => dead.buried.get(String(job.id)))).toBe('lost before the burial');
    expect(await host.sweep()).toBe(0);
    expect(dead.buried.size).toBe(1);
  });

  it('lets the active jobs finish on shutdown, then closes every queue and the connections', async () => {
    const { host, queue } = setUp(5000);
    let finished = 0;
    host.run(hosted(queue, { handle: async () => sleep(300).then(() => (finished += 1)) }));
    await queue.add({});
    await eventually('the job to start', async () => ((await queue.getActiveCount()) === 1 ? true : undefined));
    const closedBefore = closedConnections;
    await host.beforeApplicationShutdown();
    expect(finished).toBe(1);
    const reader = new Bull(queue.name, { prefix: PREFIX, redis: REDIS });
    queues.push(reader);
    expect(await reader.getCompletedCount()).toBe(1);
    await host.onApplicationShutdown();
    expect(closedConnections).toBe(closedBefore + 1);
    await expect(queue.add({})).rejects.toThrow();
  });

  it('requeues on shutdown a job that could not finish within the timeout, without waiting for it', async () => {
    const { host, queue } = setUp(200);
    host.run(hosted(queue, { handle: () => new Promise(() => undefined) }));
    const job = await queue.add({});
    await eventually('the job to start', async () => ((await queue.getActiveCount()) === 1 ? true : undefined));
    const started = Date.now();
    await host.beforeApplicationShutdown();
    expect(Date.now() - started).toBeLessThan(3000);

    const reader = new Bull(queue.name, { prefix: PREFIX, redis: REDIS });
    queues.push(reader);
    expect(await reader.getWaiting()).toEqual([expect.objectContaining({ id: job.id })]);
    expect(await reader.getActiveCount()).toBe(0);
    expect(await reader.client.exists(`${reader.toKey(String(job.id))}:lock`)).toBe(0);
  });

  it('refuses to run one queue twice', async () => {
    const { host, queue } = setUp();
    host.run(hosted(queue, {}));
    expect(() => host.run(hosted(queue, {}))).toThrow(`${queue.name} runs twice`);
    // The first run goes on. It must also be under way before the queue closes: Bull's process() still starting
    // when close() ran opens a new blocking connection afterwards, which nothing closes (Jest would never exit).
    expect(await (await queue.add({})).finished()).toBe('done');
  });
});
