import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Api, createMonitor } from './support/inventory-factory';
import { apiOn, queueDetail, type SharedQueue, sharedQueue, type TaskJson, waitForTask } from './support/queue-helpers';
import { freePort } from './support/redis-server';
import { type ExitStatus, ServiceProcess, waitFor } from './support/service-process';
import { ADMIN_PASSWORD, ADMIN_USERNAME, testEnv } from './support/test-app';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';
import { SlowZabbixProxy } from './support/zabbix-fakes';
import { sleep } from './support/time';

/**
 * The queue across real processes (`node dist/main.js`, built by `npm run build`): one API process (role api) and
 * worker processes (role worker) on one Redis prefix and one database, as an operator would run them.
 *
 * Slow by nature in one place: a worker killed with SIGKILL leaves its job to Bull's stall check (lockDuration and
 * stalledInterval are 30 s) and its monitor's sync lock to expire (MonitorLock's 30 s TTL), so that test takes
 * 30-70 s and allows 150.
 */
jest.setTimeout(60_000);

/** Bull's stall check runs every 30 s; a drained task must be running again well before one. */
const WELL_UNDER_A_STALL_MS = 15_000;

describe('queue workers in separate processes (e2e)', () => {
  let shared: SharedQueue;
  let fixture: ZabbixInventoryFixture;
  let proxy: SlowZabbixProxy;
  let apiProcess: ServiceProcess;
  let baseUrl: string;
  let token: string;
  let api: Api;
  const processes: ServiceProcess[] = [];
  const dirs: string[] = [];

  /** The environment of one process sharing the queues: its own directory and logs, the shared rest. */
  async function envFor(role: 'api' | 'worker', extra: Record<string, string>): Promise<Record<string, string>> {
    const dir = mkdtempSync(join(tmpdir(), `nagare-${role}-`));
    dirs.push(dir);
    return testEnv(dir, shared.database, {
      ...shared.env,
      NAGARE_ROLE: role,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      ...extra,
    });
  }

  /** A worker process, once it has said it takes tasks. */
  async function startWorker(extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const env = await envFor('worker', extra);
    const worker = ServiceProcess.spawn({ env, cwd: join(env.LOG_DIR, '..') });
    processes.push(worker);
    await waitFor(
      'the worker to take tasks',
      () => {
        if (worker.status) throw new Error(`the worker exited: ${JSON.stringify(worker.status)}\n${worker.stderr}`);
        return worker.systemLog().includes('"msg":"worker takes tasks"') ? true : undefined;
      },
      30_000,
    );
    return worker;
  }

  /** How many times this process's system.log says it started or completed the task. */
  const said = (worker: ServiceProcess, what: 'started' | 'completed', taskId: string) =>
    worker
      .systemLog()
      .split('\n')
      .filter((line) => line.includes(`worker ${what} task ${taskId}`) && line.includes(`"task_id":"${taskId}"`))
      .length;

  /** The worker that logged the task's completion, once its log line is written (pino writes asynchronously). */
  function completerOf(taskId: string, workers: ServiceProcess[]): Promise<ServiceProcess> {
    return waitFor(
      `a worker to log the completion of ${taskId}`,
      () => workers.find((worker) => said(worker, 'completed', taskId) > 0),
      5_000,
    );
  }

  async function queuePull(monitorId: number): Promise<string> {
    const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`);
    expect(res.status).toBe(202);
    return res.body.task_id;
  }

  /** Which of the workers has started the task (by its log), once one has. */
  function holderOf(taskId: string, workers: ServiceProcess[]): Promise<ServiceProcess> {
    return waitFor(
      `a worker to start ${taskId}`,
      () => workers.find((worker) => said(worker, 'started', taskId) > 0),
      15_000,
    );
  }

  /** Exit 0 and no signal; otherwise the failure shows what the process printed. */
  function expectCleanExit(status: ExitStatus, service: ServiceProcess): void {
    const clean = status.code === 0 && status.signal === null;
    expect({
      status,
      stderr: clean ? '' : service.stderr.slice(-3000),
      stdout: clean ? '' : service.stdout.slice(-3000),
    }).toEqual({ status: { code: 0, signal: null }, stderr: '', stdout: '' });
  }

  async function expectNothingActive(): Promise<void> {
    const { queues } = await queueDetail(baseUrl, token);
    for (const counts of Object.values(queues)) expect(counts).toMatchObject({ active: 0, waiting: 0, delayed: 0 });
  }

  async function stopAll(): Promise<void> {
    await Promise.all(processes.splice(0).map((service) => service.stop('SIGKILL').catch(() => undefined)));
  }

  beforeAll(async () => {
    shared = await sharedQueue();
    fixture = await ZabbixInventoryFixture.start(5, 2);
    proxy = await SlowZabbixProxy.start(fixture.url);
    const env = await envFor('api', {});
    apiProcess = await ServiceProcess.start({ env, cwd: join(env.LOG_DIR, '..') });
    processes.push(apiProcess);
    baseUrl = `http://127.0.0.1:${apiProcess.port}`;
    const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
    });
    token = ((await login.json()) as { token: string }).token;
    api = apiOn(baseUrl, token);
  });
  afterAll(async () => {
    await stopAll();
    await proxy?.close();
    await fixture?.close();
    await shared?.close();
    // KEEP_DIRS=1 keeps each process's directory (its logs/system.log) to look into a failure.
    if (process.env.KEEP_DIRS) console.log(`queue-workers: process directories kept: ${dirs.join(' ')}`);
    else for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const newMonitor = async () => (await createMonitor(api, { url: proxy.url, password: fixture.password })).id;

  it('on SIGTERM with a short WORKER_SHUTDOWN_TIMEOUT_MS puts the unfinished task back to waiting, exits 0, and another worker finishes it quickly', async () => {
    const draining = await startWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: '500' });
    const monitorId = await newMonitor();
    proxy.hold('host.get');
    const taskId = await queuePull(monitorId);
    await waitForTask(baseUrl, token, taskId, 'active');
    await waitFor('the held host.get', () => (proxy.held('host.get') > 0 ? true : undefined));
    const other = await startWorker();

    const status = await draining.stop('SIGTERM', 10_000);
    const exitedAt = Date.now();
    expectCleanExit(status, draining);
    expect(draining.systemLog()).toContain(`worker requeued task ${taskId}`);
    // Back in the queue, not stalled under the exited process: the other worker takes it at once.
    expect(said(draining, 'started', taskId)).toBe(1);
    await waitFor('the other worker to take the task', () => (said(other, 'started', taskId) ? true : undefined));
    expect(Date.now() - exitedAt).toBeLessThan(5000);
    proxy.release('host.get');

    const task = await waitForTask(baseUrl, token, taskId, ['completed', 'dead'], 90_000);
    const finishedAfter = Date.now() - exitedAt;
    expect(task).toMatchObject({ state: 'completed', result: { added: 5, total: 5 } });
    expect(await completerOf(taskId, [other])).toBe(other);
    expect(finishedAfter).toBeLessThan(WELL_UNDER_A_STALL_MS);
    await expectNothingActive();
  }, 120_000);

  it('on SIGTERM lets the active task finish within the timeout, then exits 0 with nothing left active', async () => {
    await startWorker();
    const workers = processes.filter((p) => p !== apiProcess && !p.status);
    expect(workers).toHaveLength(2);
    const monitorId = await newMonitor();
    proxy.hold('host.get');
    const taskId = await queuePull(monitorId);
    const holder = await holderOf(taskId, workers);
    await waitFor('the held host.get', () => (proxy.held('host.get') > 0 ? true : undefined));

    const stopping = holder.stop('SIGTERM', 20_000);
    await waitFor('the worker to drain', () => (holder.systemLog().includes('worker draining') ? true : undefined));
    await sleep(1000); // the task is still held: the worker waits for it instead of exiting
    expect(holder.status).toBeUndefined();
    proxy.release('host.get');

    expectCleanExit(await stopping, holder);
    const task = await waitForTask(baseUrl, token, taskId, ['completed', 'dead'], 5_000);
    expect(task).toMatchObject({ state: 'completed', attempts_made: 1, result: { added: 5, total: 5 } });
    expect(said(holder, 'completed', taskId)).toBe(1);
    for (const worker of workers) if (worker !== holder) expect(said(worker, 'started', taskId)).toBe(0);
    await expectNothingActive();
  });

  it('shares 40 pull tasks over 40 monitors between two worker processes, each task run once', async () => {
    const workers = processes.filter((p) => p !== apiProcess && !p.status);
    while (workers.length < 2) workers.push(await startWorker());
    expect(workers).toHaveLength(2);
    // Each pull takes at least 100 ms, so both workers are busy at once rather than one draining the queue alone.
    proxy.delay('host.get', 100);
    try {
      const monitors: number[] = [];
      for (let i = 0; i < 40; i++) monitors.push(await newMonitor());
      const taskIds = await Promise.all(monitors.map((id) => queuePull(id)));
      expect(new Set(taskIds).size).toBe(40);

      const tasks: TaskJson[] = [];
      for (const taskId of taskIds)
        tasks.push(await waitForTask(baseUrl, token, taskId, ['completed', 'dead'], 45_000));
      for (const task of tasks) {
        expect(task).toMatchObject({
          state: 'completed',
          attempts_made: 1,
          result: { added: 5, updated: 0, unchanged: 0, vanished: 0, failed: 0, total: 5 },
        });
      }
      for (const monitorId of monitors) {
        expect((await api.get(`/monitors/${monitorId}/hosts`)).body.total).toBe(5);
      }

      for (const taskId of taskIds) await completerOf(taskId, workers);
      const ranBy = taskIds.map((taskId) => workers.map((worker) => said(worker, 'completed', taskId)));
      for (const counts of ranBy) expect(counts.reduce((x, y) => x + y)).toBe(1);
      const perWorker = workers.map((_, w) => ranBy.filter((counts) => counts[w] === 1).length);
      expect(perWorker.every((n) => n > 0)).toBe(true);
      expect(perWorker.reduce((x, y) => x + y)).toBe(40);
      await expectNothingActive();
    } finally {
      proxy.delay('host.get', 0);
    }
  });

  it('finishes on a live worker the task of a worker killed with SIGKILL mid-task, with the same result', async () => {
    const workers = processes.filter((p) => p !== apiProcess && !p.status);
    expect(workers.length).toBeGreaterThanOrEqual(2);
    const itemsBefore = (await api.get('/items', { limit: 1 })).body.total as number;
    const monitorId = await newMonitor();
    // Hold the item pull and let the hosts be written, so the killed worker leaves work half done. The first
    // item.get goes out while the hosts are being written (the sync reads ahead), so both are waited for.
    proxy.hold('item.get');
    const taskId = await queuePull(monitorId);
    const victim = await holderOf(taskId, workers);
    await waitFor('the held item.get', () => (proxy.held('item.get') > 0 ? true : undefined), 15_000);
    const hostsWritten = () => api.get(`/monitors/${monitorId}/hosts`).then((res) => res.body.total as number);
    for (const deadline = Date.now() + 15_000; (await hostsWritten()) !== 5 && Date.now() < deadline;) await sleep(50);
    expect(await hostsWritten()).toBe(5);

    expect(await victim.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    proxy.release('item.get');
    const task = await waitForTask(baseUrl, token, taskId, ['completed', 'dead'], 110_000);
    const rescuer = await completerOf(
      taskId,
      workers.filter((worker) => worker !== victim),
    );
    expect(said(rescuer, 'completed', taskId)).toBe(1);
    // Idempotent: the re-run finds the hosts the killed worker wrote as they are, and adds none twice.
    expect(task).toMatchObject({
      state: 'completed',
      result: { added: 0, updated: 0, unchanged: 5, failed: 0, total: 5, items: { added: 10, total: 10 } },
    });
    expect((await api.get(`/monitors/${monitorId}/hosts`)).body.total).toBe(5);
    expect((await api.get('/items', { limit: 1 })).body.total).toBe(itemsBefore + 10);

    const again = await waitForTask(baseUrl, token, await queuePull(monitorId), ['completed', 'dead']);
    expect(again).toMatchObject({ state: 'completed', result: { added: 0, updated: 0, unchanged: 5, total: 5 } });
    expect((await api.get(`/monitors/${monitorId}/hosts`)).body.total).toBe(5);
    expect((await api.get('/items', { limit: 1 })).body.total).toBe(itemsBefore + 10);
    await expectNothingActive();
  }, 150_000);
});
