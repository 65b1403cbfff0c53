import { monitorBody } from '../support/inventory-factory';
import { RedisServer } from '../support/redis-server';
import { type ServiceProcess, waitFor } from '../support/service-process';
import { ZabbixInventoryFixture } from '../support/zabbix-inventory-fixture';
import { Client, Cluster, logEntries, recordFigures, settle } from './chaos-support';
import { SlowZabbixProxy } from '../support/zabbix-fakes';

/**
 * Part 3, shutdown: SIGTERM to a worker process while it runs 20 pull_hosts tasks (each held mid-way at a Zabbix
 * proxy, so all 20 are active at the signal). With time to finish, they finish on that worker; with a short
 * WORKER_SHUTDOWN_TIMEOUT_MS, they go back to waiting and finish on the next worker, without waiting for Bull's
 * 30-second stall check. Either way none is lost and none is left stalled or active.
 */
const ACTIVE = 20;
const HOSTS_PER_MONITOR = 3;
/** Well under Bull's stall check (30 s lock, 30 s interval): a requeued task must not wait for it. */
const WELL_UNDER_A_STALL_MS = 20_000;

describe('chaos 3: SIGTERM to a worker with 20 active tasks', () => {
  let redis: RedisServer;
  let fixture: ZabbixInventoryFixture;
  let proxy: SlowZabbixProxy;
  let cluster: Cluster;
  let client: Client;
  const figures: Record<string, unknown> = { active_at_sigterm: ACTIVE };

  beforeAll(async () => {
    redis = await RedisServer.start();
    fixture = await ZabbixInventoryFixture.start(HOSTS_PER_MONITOR, 1);
    proxy = await SlowZabbixProxy.start(fixture.url);
    cluster = await new Cluster(redis.url, { WORKER_CONCURRENCY: String(ACTIVE) }).init();
    const api = await cluster.startServer('api');
    client = new Client(`http://127.0.0.1:${api.port}`);
    await client.login();
  }, 120_000);

  afterAll(async () => {
    await recordFigures('shutdown', figures);
    await cluster?.close();
    await proxy?.close();
    await fixture?.close();
    await redis?.destroy();
  });

  const said = (worker: ServiceProcess, what: string) =>
    logEntries(worker.systemLog()).filter((e) => String(e.msg).startsWith(`worker ${what} task pull_hosts:`));

  /** 20 monitors, a pull of each queued and held at host.get on the worker: 20 tasks active there. */
  async function twentyActive(worker: ServiceProcess): Promise<string[]> {
    proxy.hold('host.get');
    const taskIds: string[] = [];
    for (let i = 0; i < ACTIVE; i++) {
      const monitor = await client.post(
        '/api/v1/monitors',
        monitorBody({ url: proxy.url, password: fixture.password }),
      );
      expect(monitor.status).toBe(201);
      const queued = await client.post(`/api/v1/monitors/${(monitor.body as { id: number }).id}/hosts/pull-async`);
      expect(queued.status).toBe(202);
      taskIds.push((queued.body as { task_id: string }).task_id);
    }
    await waitFor('20 host.get calls held', () => (proxy.held('host.get') >= ACTIVE ? true : undefined), 30_000);
    const started = new Set(said(worker, 'started').map((e) => String(e.task_id)));
    expect(taskIds.every((id) => started.has(id))).toBe(true);
    return taskIds;
  }

  async function queueCounts() {
    const res = await client.get('/api/v1/queue/stats/detail');
    return (res.body as { queues: Record<string, Record<string, number>>; dead: number }).queues.pull_hosts;
  }

  const stalledLines = (workers: ServiceProcess[]) =>
    workers.reduce((n, w) => n + logEntries(w.systemLog()).filter((e) => String(e.msg).includes('stalled')).length, 0);

  it('with time to finish, the 20 finish on the signalled worker, which then exits 0', async () => {
    const worker = await cluster.startWorker({}, 'pull_hosts');
    const taskIds = await twentyActive(worker);
    const stopping = worker.stop('SIGTERM', 60_000);
    await waitFor('the worker to drain', () => (worker.systemLog().includes('worker draining') ? true : undefined));
    proxy.release('host.get');
    const status = await stopping;

    const final = await settle(client, taskIds, 30_000);
    const completed = taskIds.filter((id) => final.get(id)?.state === 'completed');
    const completedHere = new Set(said(worker, 'completed').map((e) => String(e.task_id)));
    figures.drain = {
      tasks: ACTIVE,
      exit: status,
      completed: completed.length,
      completed_on_signalled_worker: taskIds.filter((id) => completedHere.has(id)).length,
      lost: ACTIVE - completed.length,
      stalled: stalledLines([worker]),
    };
    expect(status).toEqual({ code: 0, signal: null });
    expect(completed).toHaveLength(ACTIVE);
    expect(taskIds.every((id) => completedHere.has(id))).toBe(true);
    expect(await queueCounts()).toMatchObject({ active: 0, waiting: 0, delayed: 0 });
  }, 180_000);

  it('with a short WORKER_SHUTDOWN_TIMEOUT_MS, the 20 go back to waiting and finish on the next worker', async () => {
    const worker = await cluster.startWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: '1000' }, 'pull_hosts');
    const taskIds = await twentyActive(worker);
    const status = await worker.stop('SIGTERM', 30_000);
    const exitedAt = Date.now();
    const requeued = logEntries(worker.systemLog()).filter((e) => String(e.msg).startsWith('worker requeued task'));
    // The held calls of the exited worker answer nobody; the next worker's calls pass.
    proxy.release('host.get');
    const next = await cluster.startWorker({}, 'pull_hosts');

    const final = await settle(client, taskIds, 120_000);
    const finishedAfterMs = Date.now() - exitedAt;
    const completed = taskIds.filter((id) => final.get(id)?.state === 'completed');
    const completedNext = new Set(said(next, 'completed').map((e) => String(e.task_id)));
    figures.requeue = {
      tasks: ACTIVE,
      exit: status,
      requeued: requeued.length,
      completed: completed.length,
      completed_on_next_worker: taskIds.filter((id) => completedNext.has(id)).length,
      all_finished_ms_after_exit: finishedAfterMs,
      lost: ACTIVE - completed.length,
      stalled: stalledLines([worker, next]),
    };
    expect(status).toEqual({ code: 0, signal: null });
    expect(requeued).toHaveLength(ACTIVE);
    expect(completed).toHaveLength(ACTIVE);
    expect(taskIds.every((id) => completedNext.has(id))).toBe(true);
    expect(finishedAfterMs).toBeLessThan(WELL_UNDER_A_STALL_MS);
    expect(stalledLines([worker, next])).toBe(0);
    expect(await queueCounts()).toMatchObject({ active: 0, waiting: 0, delayed: 0 });
  }, 180_000);
});
