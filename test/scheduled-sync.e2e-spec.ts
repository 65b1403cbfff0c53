import type { Job, JobOptions, Queue } from 'bull';
import { DataSource } from 'typeorm';
import { Monitor } from '../src/monitors/entities/monitor.entity';
import { SyncStatus } from '../src/monitors/entities/sync-status';
import { SCHEDULE_QUEUE, SYNC_SCHEDULE_JOB_ID } from '../src/monitors/schedule/sync-schedule.constants';
import { SyncSchedule } from '../src/monitors/schedule/sync-schedule.service';
import type { TickResult } from '../src/monitors/schedule/sync-tick.processor';
import { type Api, apiAs, createMonitor, unreachableUrl } from './support/inventory-factory';
import { bullQueue, type SharedQueue, sharedQueue } from './support/queue-helpers';
import { RedisServer } from './support/redis-server';
import { startTestApp, type TestApp } from './support/test-app';
import { sleep } from './support/time';

/** Polls `check` until it returns a value, or fails saying what it waited for and what it saw last. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

type TickJob = Job & { opts: JobOptions & { prevMillis?: number; repeat?: { key?: string } } };

describe('scheduled sync (e2e)', () => {
  let shared: SharedQueue;
  let apiApp: TestApp;
  let admin: Api;
  let workers: TestApp[] = [];
  let schedule: Queue;
  let pullHosts: Queue;
  let pullAlerts: Queue;
  let enabledIds: number[];
  let disabledId: number;

  /** Worker processes on the shared queues and database, each setting the schedule from its own config. */
  async function startWorkers(count: number, intervalSeconds: number): Promise<TestApp[]> {
    const started = await Promise.all(
      Array.from({ length: count }, () =>
        startTestApp({ ...shared.env, NAGARE_ROLE: 'worker', SYNC_INTERVAL_SECONDS: String(intervalSeconds) }),
      ),
    );
    workers.push(...started);
    const states = await Promise.all(started.map((worker) => worker.app.get(SyncSchedule).applied));
    for (const state of states) expect(state.everyMs).toBe(intervalSeconds > 0 ? intervalSeconds * 1000 : null);
    return started;
  }

  async function stopWorkers(): Promise<void> {
    await Promise.all(workers.map((worker) => worker.close()));
    workers = [];
  }

  /** The monitor ids of the pull_hosts tasks waiting (the queue is paused, so every one queued waits). */
  async function waitingPulls(queue = pullHosts): Promise<number[]> {
    const jobs = await queue.getWaiting();
    return jobs.map((job) => (job.data as { params: { monitor_id: number } }).params.monitor_id).sort((a, b) => a - b);
  }

  async function completedTicks(): Promise<TickJob[]> {
    return (await schedule.getCompleted()) as TickJob[];
  }

  beforeAll(async () => {
    shared = await sharedQueue();
    // An API process configured with the schedule: it must leave it to the workers.
    apiApp = await startTestApp({ ...shared.env, NAGARE_ROLE: 'api', SYNC_INTERVAL_SECONDS: '1' });
    admin = apiAs(apiApp, await apiApp.login());
    schedule = bullQueue(shared.redisUrl, shared.prefix, SCHEDULE_QUEUE);
    pullHosts = bullQueue(shared.redisUrl, shared.prefix, 'pull_hosts');
    pullAlerts = bullQueue(shared.redisUrl, shared.prefix, 'pull_alerts');
    // Paused for every process: the pulls the schedule queues stay waiting, where they can be counted.
    await pullHosts.pause();
    await pullAlerts.pause();
    const url = await unreachableUrl();
    enabledIds = [];
    for (let i = 0; i < 3; i++) enabledIds.push((await createMonitor(admin, { url })).id);
    disabledId = (await createMonitor(admin, { url, enabled: false })).id;
  });
  afterAll(async () => {
    await stopWorkers();
    await apiApp?.close();
    await schedule?.close();
    await pullHosts?.close();
    await pullAlerts?.close();
    await shared?.close();
  });

  it('is not set by a process that runs no workers', async () => {
    // The API process had its interval for as long as the monitors took to create; give it a little longer.
    await sleep(1500);
    expect(await schedule.getRepeatableJobs()).toEqual([]);
    expect(await schedule.getDelayedCount()).toBe(0);
  });

  it('is one repeatable job however many workers start at once', async () => {
    await startWorkers(3, 1);
    const repeatables = await schedule.getRepeatableJobs();
    expect(repeatables).toEqual([expect.objectContaining({ id: SYNC_SCHEDULE_JOB_ID, every: 1000, cron: null })]);
    // One next run, not one per worker.
    expect(await schedule.getDelayedCount()).toBeLessThanOrEqual(1);
  });

  it('queues a pull of every enabled monitor, and none of a disabled one', async () => {
    const pulled = await eventually('a pull of every enabled monitor', async () => {
      const ids = await waitingPulls();
      return ids.length >= enabledIds.length ? ids : undefined;
    });
    expect(pulled).toEqual(enabledIds);
    expect(pulled).not.toContain(disabledId);
  });

  it('queues a pull of the alerts of every enabled monitor too, after its hosts', async () => {
    const pulled = await eventually('an alert pull of every enabled monitor', async () => {
      const ids = await waitingPulls(pullAlerts);
      return ids.length >= enabledIds.length ? ids : undefined;
    });
    expect(pulled).toEqual(enabledIds);
    // Each monitor's pull_hosts went in before its pull_alerts.
    for (const id of enabledIds) {
      const [hosts] = (await pullHosts.getWaiting()).filter((job) => job.data.params.monitor_id === id);
      const [alerts] = (await pullAlerts.getWaiting()).filter((job) => job.data.params.monitor_id === id);
      expect(hosts.timestamp).toBeLessThanOrEqual(alerts.timestamp);
    }
  });

  it('does not queue a second pull for a monitor whose pull is still waiting, tick after tick', async () => {
    const before = (await completedTicks()).length;
    const ticks = await eventually('three more runs of the schedule', async () => {
      const done = await completedTicks();
      return done.length >= before + 3 ? done : undefined;
    });
    expect(await waitingPulls()).toEqual(enabledIds);
    const latest = ticks.reduce((a, b) => ((a.finishedOn ?? 0) > (b.finishedOn ?? 0) ? a : b));
    expect(latest.returnvalue as TickResult).toEqual({
      monitors: 3,
      queued: 0,
      deduplicated: 3,
      skipped: 0,
      alert_pulls: { queued: 0, deduplicated: 3 },
    });
  });

  it('runs each tick once, in one of the workers: one slot per run, all of the one schedule', async () => {
    const ticks = await completedTicks();
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    const slots = ticks.map((tick) => tick.opts.prevMillis);
    expect(new Set(slots).size).toBe(ticks.length);
    for (const slot of slots) expect(slot! % 1000).toBe(0);
    expect(new Set(ticks.map((tick) => tick.opts.repeat?.key)).size).toBe(1);

    // The runs went to the workers between them, each taken by one: none is left waiting or failed.
    expect(await schedule.getFailedCount()).toBe(0);
  });

  it('takes in a monitor once it is enabled, and leaves out one once it is disabled', async () => {
    expect((await admin.patch(`/monitors/${disabledId}`, { enabled: true })).status).toBe(200);
    expect((await admin.patch(`/monitors/${enabledIds[0]}`, { enabled: false })).status).toBe(200);
    const changedAt = Date.now();
    const pulled = await eventually('a pull of the monitor just enabled', async () => {
      const ids = await waitingPulls();
      return ids.includes(disabledId) ? ids : undefined;
    });
    // The pull queued before it was disabled still waits; no other is added for either.
    expect(pulled).toEqual([...enabledIds, disabledId].sort((a, b) => a - b));

    const runsSince = async () => (await completedTicks()).filter((tick) => (tick.processedOn ?? 0) > changedAt);
    const since = await eventually('two runs since the change', async () => {
      const runs = await runsSince();
      return runs.length >= 2 ? runs : undefined;
    });
    const results = since.map((tick) => tick.returnvalue as TickResult);
    // Three enabled monitors counted each time (not four): the one disabled is left out.
    for (const result of results) expect(result.monitors).toBe(3);
    expect(results.reduce((sum, result) => sum + result.queued, 0)).toBe(1);
    expect(await waitingPulls()).toEqual(pulled);
  });

  it('skips an auth_failed monitor, saying so once per worker, and pulls it again once its credentials change', async () => {
    const refused = (await createMonitor(admin, { url: await unreachableUrl() })).id;
    const reason =
      'Monitor rejected the credentials: Incorrect user name or password or account is temporarily blocked.';
    await apiApp.app
      .get(DataSource)
      .getRepository(Monitor)
      .update({ id: refused }, { status: SyncStatus.AuthFailed, statusDescription: reason });
    const since = Date.now();
    // More runs than workers: each worker says it once, however many runs it takes.
    const runs = await eventually('more runs than workers since the monitor went auth_failed', async () => {
      const done = (await completedTicks()).filter((tick) => (tick.processedOn ?? 0) > since);
      return done.length >= workers.length + 2 ? done : undefined;
    });
    for (const run of runs) expect((run.returnvalue as TickResult).skipped).toBe(1);
    expect(await waitingPulls()).not.toContain(refused);
    const said = workers
      .map((worker) => worker.systemLog())
      .join('')
      .split('\n')
      .filter((line) => line.includes(`worker scheduled sync skips monitor ${refused} until its credentials change`));
    expect(said.length).toBeGreaterThanOrEqual(1);
    expect(said.length).toBeLessThanOrEqual(workers.length);
    expect(said.length).toBeLessThan(runs.length);
    expect(said[0]).toContain(reason);

    expect((await admin.patch(`/monitors/${refused}`, { password: 'a-new-password' })).status).toBe(200);
    expect((await admin.get(`/monitors/${refused}`)).body).toMatchObject({ status: SyncStatus.Inactive });
    await eventually('a pull of the monitor with new credentials', async () =>
      (await waitingPulls()).includes(refused) ? true : undefined,
    );
  });

  it('replaces the schedule when the interval changes, and removes it when the interval is 0', async () => {
    await stopWorkers();
    await startWorkers(2, 2);
    expect(await schedule.getRepeatableJobs()).toEqual([
      expect.objectContaining({ id: SYNC_SCHEDULE_JOB_ID, every: 2000 }),
    ]);

    await stopWorkers();
    await startWorkers(1, 0);
    expect(await schedule.getRepeatableJobs()).toEqual([]);
    expect(await schedule.getDelayedCount()).toBe(0);

    // A run already taken off the schedule may still finish; after that nothing runs any more.
    await sleep(2500);
    const settled = await schedule.getCompletedCount();
    await sleep(3000);
    expect(await schedule.getCompletedCount()).toBe(settled);
    expect(await schedule.getWaitingCount()).toBe(0);
  });
});

describe('scheduled sync with Redis down at start (e2e)', () => {
  let redis: RedisServer | undefined;
  let worker: TestApp | undefined;
  let schedule: Queue | undefined;
  afterAll(async () => {
    await worker?.close();
    await schedule?.close();
    await redis?.destroy();
  });

  it('lets the worker start, and sets the schedule once Redis answers', async () => {
    redis = await RedisServer.start();
    await redis.stop();
    const started = Date.now();
    worker = await startTestApp({ REDIS_URL: redis.url, NAGARE_ROLE: 'worker', SYNC_INTERVAL_SECONDS: '1' });
    expect(Date.now() - started).toBeLessThan(20_000);
    // (In-process apps share Nest's static logger: the last one started, this worker, has the log.)
    await eventually('the worker to report the schedule could not be set', async () =>
      worker!.systemLog().includes('could not set the sync schedule') ? true : undefined,
    );

    await redis.resume();
    schedule = bullQueue(redis.url, worker.config.queue.prefix, SCHEDULE_QUEUE);
    const repeatables = await eventually(
      'the schedule once Redis is back',
      async () => {
        const found = await schedule!.getRepeatableJobs();
        return found.length > 0 ? found : undefined;
      },
      40_000,
    );
    expect(repeatables).toEqual([expect.objectContaining({ id: SYNC_SCHEDULE_JOB_ID, every: 1000 })]);
    expect(await worker.app.get(SyncSchedule).applied).toEqual({ everyMs: 1000, removed: 0 });
  }, 90_000);
});
