import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Api, createHost, createMonitor } from './support/inventory-factory';
import { apiOn, queueDetail, type SharedQueue, sharedQueue, waitForTask } from './support/queue-helpers';
import { sleep } from './support/time';
import { SlowZabbixProxy } from './support/zabbix-fakes';
import { freePort } from './support/redis-server';
import { ServiceProcess, waitFor } from './support/service-process';
import { ADMIN_PASSWORD, ADMIN_USERNAME, testEnv } from './support/test-app';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';

jest.setTimeout(90_000);

/** Long enough for an idle worker to take a waiting task many times over. */
const NOTHING_STARTS_MS = 2000;

/**
 * Pausing a task type across real processes (`node dist/main.js`): an API process and a worker process on one
 * Redis prefix and one database. The pause is Bull's global one, kept in Redis: it holds for a worker that was
 * not running when it was set, and across a restart of every process.
 */
describe('pausing a task type across processes and restarts (e2e)', () => {
  let shared: SharedQueue;
  let fixture: ZabbixInventoryFixture;
  let proxy: SlowZabbixProxy;
  const running: ServiceProcess[] = [];
  const dirs: string[] = [];
  let baseUrl: string;
  let token: string;
  let api: Api;
  let worker: ServiceProcess;

  async function start(role: 'api' | 'worker'): Promise<ServiceProcess> {
    const dir = mkdtempSync(join(tmpdir(), `nagare-pause-${role}-`));
    dirs.push(dir);
    const env = testEnv(dir, shared.database, {
      ...shared.env,
      NAGARE_ROLE: role,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
    });
    const service = ServiceProcess.spawn({ env, cwd: dir });
    running.push(service);
    if (role === 'api') {
      if ((await service.waitUntilLive()) !== 'live') throw new Error(`the API did not start:\n${service.stderr}`);
      return service;
    }
    await waitFor(
      'the worker to take tasks',
      () => (service.systemLog().includes('"msg":"worker takes tasks"') ? true : undefined),
      30_000,
    );
    return service;
  }

  /** An API and a worker process; the API's URL, token and client are the suite's from then on. */
  async function startProcesses(): Promise<void> {
    const apiProcess = await start('api');
    worker = await start('worker');
    baseUrl = `http://127.0.0.1:${apiProcess.port}`;
    const login = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
    });
    token = ((await login.json()) as { token: string }).token;
    api = apiOn(baseUrl, token);
  }

  async function stopProcesses(): Promise<void> {
    const stopping = running.splice(0);
    const statuses = await Promise.all(stopping.map((service) => service.stop('SIGTERM', 20_000)));
    expect(statuses).toEqual(stopping.map(() => ({ code: 0, signal: null })));
  }

  const workerStarted = (taskId: string) => worker.systemLog().includes(`worker started task ${taskId}`);

  beforeAll(async () => {
    shared = await sharedQueue();
    fixture = await ZabbixInventoryFixture.start(3, 1);
    proxy = await SlowZabbixProxy.start(fixture.url);
    await startProcesses();
  });
  afterAll(async () => {
    await Promise.all(running.splice(0).map((service) => service.stop('SIGKILL').catch(() => undefined)));
    await proxy?.close();
    await fixture?.close();
    await shared?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('lets the active task of a type finish when the type is paused, and starts no other', async () => {
    const monitorId = (await createMonitor(api, { url: proxy.url, password: fixture.password })).id;
    proxy.hold('host.get');
    const active = (await api.post(`/monitors/${monitorId}/hosts/pull-async`)).body.task_id as string;
    await waitForTask(baseUrl, token, active, 'active');
    await waitFor('the held host.get', () => (proxy.held('host.get') > 0 ? true : undefined));

    expect((await api.post('/queue/pull_hosts/pause')).body).toEqual({ type: 'pull_hosts', paused: true });
    const second = (await api.post(`/monitors/${monitorId}/hosts/pull-async`)).body.task_id as string;
    proxy.release('host.get');
    expect(await waitForTask(baseUrl, token, active, 'completed')).toMatchObject({ result: { added: 3, total: 3 } });
    await sleep(NOTHING_STARTS_MS);
    expect((await api.get(`/tasks/${second}`)).body).toMatchObject({ state: 'waiting', started_at: null });
    expect(workerStarted(second)).toBe(false);

    expect((await api.post('/queue/pull_hosts/resume')).status).toBe(200);
    expect(await waitForTask(baseUrl, token, second, 'completed')).toMatchObject({ result: { total: 3 } });
  });

  it('stays paused across a restart of every process: nothing runs until it is resumed', async () => {
    await createHost(api);
    expect((await api.post('/queue/generate_alerts/pause')).status).toBe(200);
    await stopProcesses();
    await startProcesses();

    expect((await queueDetail(baseUrl, token)).paused_types).toEqual(['generate_alerts']);
    const res = await api.post('/alerts/generate-test-async?count=2');
    expect(res.status).toBe(202);
    const taskId = res.body.task_id as string;
    await sleep(NOTHING_STARTS_MS);
    expect((await api.get(`/tasks/${taskId}`)).body).toMatchObject({ state: 'waiting', started_at: null });
    expect(workerStarted(taskId)).toBe(false);
    expect((await queueDetail(baseUrl, token)).queues.generate_alerts).toMatchObject({ paused: 1, waiting: 0 });

    expect((await api.post('/queue/generate_alerts/resume')).body).toEqual({ type: 'generate_alerts', paused: false });
    expect(await waitForTask(baseUrl, token, taskId, 'completed')).toMatchObject({ result: { count: 2 } });
    expect(workerStarted(taskId)).toBe(true);
    expect((await queueDetail(baseUrl, token)).paused_types).toEqual([]);
  });
});
