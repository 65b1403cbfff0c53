import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Processor } from '@nestjs/bull';
import Bull, { type Job, type Queue } from 'bull';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  activeJobsSettled,
  BULL_VERSION_WRITTEN_FOR,
  cancelJob,
  COUNTED_STATES,
  deferredFailure,
  processorQueueName,
  readRawJob,
  requeueActive,
  stateKey,
  subscribeGlobalEvent,
} from './bull-internals';

const REDIS = { host: '127.0.0.1', port: 6379 };
const PREFIX = `bull-internals-spec-${process.pid}`;

function installedBullVersion(): string {
  const manifest = JSON.parse(readFileSync(join(process.cwd(), 'node_modules/bull/package.json'), 'utf8'));
  return manifest.version as string;
}

/** Resolves with the next job the queue's processor takes, which then hangs until released. */
function holdNextJob(queue: Queue): Promise<{ job: Job; release: () => void }> {
  return new Promise((taken) => {
    void queue.process(1, (job: Job) => new Promise<void>((release) => taken({ job, release: () => release() })));
  });
}

describe('bull-internals', () => {
  const queues: Queue[] = [];
  const open = (name: string): Queue => {
    const queue = new Bull(name, { prefix: PREFIX, redis: REDIS });
    queues.push(queue);
    return queue;
  };

  beforeAll(async () => {
    const probe = open('probe');
    await probe.isReady();
  });

  afterAll(async () => {
    const client = queues[0].client;
    const keys = await client.keys(`${PREFIX}:*`);
    if (keys.length > 0) await client.del(...keys);
    await Promise.all(queues.map((queue) => queue.close(true)));
  });

  it(`was written for the installed Bull (${BULL_VERSION_WRITTEN_FOR}.x)`, () => {
    const installed = installedBullVersion();
    const majorMinor = installed.split('.').slice(0, 2).join('.');
    if (majorMinor !== BULL_VERSION_WRITTEN_FOR) {
      throw new Error(
        `bull ${installed} is installed but src/queue/bull-internals.ts was written for ${BULL_VERSION_WRITTEN_FOR}.x: ` +
          'check each private access in that file against the new version, then update BULL_VERSION_WRITTEN_FOR',
      );
    }
    expect(majorMinor).toBe(BULL_VERSION_WRITTEN_FOR);
  });

  it('reads the queue name @Processor() stores on a class', () => {
    @Processor('pull_hosts')
    class Named {}
    class Unnamed {}
    expect(processorQueueName(Named)).toBe('pull_hosts');
    expect(processorQueueName(Unnamed)).toBeUndefined();
  });

  it('waits for the jobs this process is running until their outcome is stored', async () => {
    const queue = open('settle');
    const held = holdNextJob(queue);
    const added = await queue.add({ n: 1 });
    const { job, release } = await held;
    let settled = false;
    const settling = activeJobsSettled(queue).then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    release();
    await settling;
    expect(String(job.id)).toBe(String(added.id));
    expect(await (await queue.getJob(added.id))?.getState()).toBe('completed');
  });

  it('subscribes to a global event that a queue in another connection publishes', async () => {
    const listener = open('global');
    const worker = open('global');
    const completed = new Promise<string>((resolve) => listener.addListener('global:completed', resolve));
    const subscribing = subscribeGlobalEvent(listener, 'global:completed');
    await expect(subscribing).resolves.not.toThrow();
    void worker.process(1, async () => 'done');
    const job = await worker.add({ n: 1 });
    expect(String(await completed)).toBe(String(job.id));
  });

  it('moves an active job back to the head of the wait list and drops its lock', async () => {
    const queue = open('requeue');
    const held = holdNextJob(queue);
    await queue.add({ n: 1 });
    const { job } = await held;
    const id = String(job.id);
    expect(await queue.client.exists(`${queue.toKey(id)}:lock`)).toBe(1);
    await queue.pause(true, true);
    expect(await requeueActive(queue, id)).toBe(true);
    expect(await queue.client.lrange(queue.toKey('wait'), -1, -1)).toEqual([id]);
    expect(await queue.client.exists(`${queue.toKey(id)}:lock`)).toBe(0);
    expect(await readRawJob(queue, id)).toMatchObject({ state: 'waiting' });
    expect(await requeueActive(queue, id)).toBe(false);
  });

  it('requeues an active job to the paused list while its queue is paused for every worker, so resuming keeps it', async () => {
    const queue = open('requeue-paused');
    const held = holdNextJob(queue);
    await queue.add({ n: 1 });
    const { job } = await held;
    const id = String(job.id);
    await queue.pause(true, true);
    await queue.pause();
    const waiting = await queue.add({ n: 2 });
    expect(await requeueActive(queue, id)).toBe(true);
    expect(await queue.client.exists(queue.toKey('wait'))).toBe(0);
    expect(await queue.client.lrange(queue.toKey('paused'), 0, -1)).toEqual([String(waiting.id), id]);
    await queue.resume();
    expect(await queue.client.lrange(queue.toKey('wait'), 0, -1)).toEqual([String(waiting.id), id]);
  });

  it('cancels a waiting, paused or delayed job in one step, and no active, ended or cancelled one', async () => {
    const queue = open('cancel');
    const waiting = await queue.add({ n: 1 });
    const delayed = await queue.add({ n: 2 }, { delay: 60_000 });
    expect(await cancelJob(queue, String(waiting.id), 60_000)).toBe('done');
    expect(await cancelJob(queue, String(delayed.id), 60_000)).toBe('done');
    expect(await cancelJob(queue, String(waiting.id), 60_000)).toBe('cancelled');
    expect(await cancelJob(queue, '999999', 60_000)).toBe('missing');
    expect(await readRawJob(queue, String(waiting.id))).toMatchObject({ state: 'cancelled' });
    expect(await queue.client.pttl(queue.toKey(String(delayed.id)))).toBeGreaterThan(59_000);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });

    await queue.pause();
    const paused = await queue.add({ n: 3 });
    expect(await cancelJob(queue, String(paused.id), 60_000)).toBe('done');
    await queue.resume();
    const held = holdNextJob(queue);
    const active = await queue.add({ n: 4 });
    const { release } = await held;
    expect(await cancelJob(queue, String(active.id), 60_000)).toBe('busy');
    release();
    await active.finished();
    expect(await cancelJob(queue, String(active.id), 60_000)).toBe('busy');
    expect(await readRawJob(queue, String(active.id))).toMatchObject({ state: 'completed' });
  });

  it("names the keys of each counted state so that they count what Bull's getJobCounts counts", async () => {
    const queue = open('counts');
    await queue.add({ n: 1 });
    await queue.add({ n: 2 }, { delay: 60_000 });
    const multi = queue.multi();
    for (const [, key, command] of COUNTED_STATES) multi[command](stateKey(queue, key));
    const replies = (await multi.exec()) ?? [];
    const counted = Object.fromEntries(COUNTED_STATES.map(([field], i) => [field, Number(replies[i][1])]));
    expect(counted).toEqual({ ...(await queue.getJobCounts()), paused: await queue.getPausedCount() });
    expect(counted).toMatchObject({ waiting: 1, delayed: 1 });
  });

  it("reads a job's state and its stored fields in one script", async () => {
    const queue = open('read');
    const job = await queue.add({ monitor_id: 3 }, { attempts: 4 });
    const raw = await readRawJob(queue, String(job.id));
    expect(raw?.state).toBe('waiting');
    expect(JSON.parse(raw?.hash.get('data') ?? '')).toEqual({ monitor_id: 3 });
    expect(JSON.parse(raw?.hash.get('opts') ?? '')).toMatchObject({ attempts: 4 });
    expect(raw?.hash.get('timestamp')).toBe(String(job.timestamp));
    expect(await readRawJob(queue, '999999')).toBeUndefined();
  });

  it('defers a failing job to delayed for the given time, its attempts, backoff and stack traces as they were', async () => {
    const queue = open('defer');
    const failed: string[] = [];
    queue.on('global:failed', (jobId: string) => failed.push(String(jobId)));
    await subscribeGlobalEvent(queue, 'global:failed');
    let runs = 0;
    const takenAgain = new Promise<Job>((resolve) => {
      void queue.process(1, async (job: Job) => {
        runs += 1;
        if (runs === 1) throw deferredFailure(job, 300, 'monitor busy');
        resolve(job);
        return 'done';
      });
    });
    const added = await queue.add({ n: 1 }, { attempts: 2, backoff: { type: 'exponential', delay: 60_000 } });
    const id = String(added.id);
    const waited = await new Promise<Record<string, string>>((resolve) => {
      const poll = setInterval(() => {
        void readRawJob(queue, id).then((raw) => {
          if (raw?.state !== 'delayed') return;
          clearInterval(poll);
          resolve(Object.fromEntries(raw.hash));
        });
      }, 10);
    });
    expect(waited).toMatchObject({ attemptsMade: '0', failedReason: 'monitor busy', stacktrace: '[]' });
    expect(JSON.parse(waited.opts)).toMatchObject({ backoff: { type: 'exponential', delay: 60_000 } });
    const started = Date.now();
    const again = await takenAgain;
    // Promoted after about 300 ms, not the job's own backoff of 60 s.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(again.attemptsMade).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await readRawJob(queue, id))?.state).toBe('completed');
    expect(failed).toEqual([]);
  });
});
