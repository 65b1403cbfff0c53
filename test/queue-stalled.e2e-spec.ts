import type { Job, Queue } from 'bull';
import request from 'supertest';
import { TaskQueues } from '../src/queue/task-queues';
import { getTask, type TaskJson } from './support/queue-helpers';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * A worker killed mid-task leaves its job active with a lock nobody renews; Bull's stall check puts it back to
 * waiting, at most `maxStalledCount` times. The service sets that to `queue.max_retries` (3), so a task survives as
 * many worker crashes as it has retries. The crashes are made by hand on the service's own queue, with its own
 * settings: take the job as a worker would, drop its lock as a dead worker's lapses, and run the stall check.
 */
describe('a task whose worker crashes (e2e)', () => {
  let t: TestApp;
  let token: string;
  let queue: Queue;

  beforeAll(async () => {
    // No worker in this process: the test plays the workers that crash.
    t = await startTestApp({ NAGARE_ROLE: 'api' });
    token = await t.login();
    queue = t.app.get(TaskQueues).of('generate_alerts') as unknown as Queue;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** A worker takes the job, then dies: its lock lapses and the stall check runs twice (it marks, then moves). */
  async function crashWhileHolding(jobId: string): Promise<void> {
    const job = (await queue.getNextJob()) as Job | undefined;
    expect(job?.id).toBe(jobId);
    await queue.client.del(`${queue.toKey(jobId)}:lock`);
    for (let check = 0; check < 2; check++) {
      await queue.client.del(queue.toKey('stalled-check'));
      // Bull's stall check, as each worker runs it every stalledInterval (not in Bull's typings).
      await (queue as Queue & { moveUnlockedJobsToWait(): Promise<void> }).moveUnlockedJobsToWait();
    }
  }

  it('puts the task back to waiting after each of 3 worker crashes, and fails it on the 4th', async () => {
    const api = (method: 'post', path: string) =>
      request(t.http)[method](`/api/v1${path}`).set('Authorization', `Bearer ${token}`);
    expect((await api('post', '/hosts').send({ name: 'crash-host' })).status).toBe(201);
    const res = await api('post', '/alerts/generate-test-async?count=1');
    expect(res.status).toBe(202);
    const taskId = res.body.task_id as string;
    const jobId = taskId.split(':')[1];

    for (let crash = 1; crash <= 3; crash++) {
      await crashWhileHolding(jobId);
      expect(await queue.getJobCounts()).toMatchObject({ waiting: 1, active: 0, failed: 0 });
      const task = (await getTask(t.http, token, taskId)).body as TaskJson;
      expect(task.state).toBe('waiting');
    }

    await crashWhileHolding(jobId);
    const job = (await queue.getJob(jobId)) as Job;
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toBe('job stalled more than allowable limit');
  });
});
