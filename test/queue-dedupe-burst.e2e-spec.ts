import { jest } from '@jest/globals';
import type { Queue } from 'bull';
import { type Api, apiAs, createMonitor } from './support/inventory-factory';
import { bullQueue, type SharedQueue, sharedQueue, type TaskJson, waitForTask } from './support/queue-helpers';
import { sleep } from './support/time';
import { SlowZabbixProxy } from './support/zabbix-fakes';
import { DocumentedResponses } from './support/documented-responses';
import { startTestApp, type TestApp } from './support/test-app';
import { ZabbixInventoryFixture } from './support/zabbix-inventory-fixture';

jest.setTimeout(90_000);

/**
 * Issue 16 item 5: a burst of identical requests for a monitor whose sync is slow must not fill the worker slots.
 * The slow monitor's host.get is held at a proxy, so its first pull holds the monitor for as long as the test wants;
 * before the fix its duplicates took every slot waiting for the monitor's lock, and another monitor's pull waited
 * behind them for as long as the hold lasted.
 */
describe('a burst of identical sync requests (e2e)', () => {
  let shared: SharedQueue;
  let t: TestApp;
  let documented: DocumentedResponses;
  let token: string;
  let api: Api;
  let slow: ZabbixInventoryFixture;
  let fast: ZabbixInventoryFixture;
  let proxy: SlowZabbixProxy;
  let pullHosts: Queue;

  beforeAll(async () => {
    shared = await sharedQueue();
    t = await startTestApp({ ...shared.env, NAGARE_ROLE: 'all', WORKER_CONCURRENCY: '4' });
    documented = await DocumentedResponses.watch(t.http);
    token = await t.login();
    api = apiAs(t, token);
    slow = await ZabbixInventoryFixture.start(3, 1);
    fast = await ZabbixInventoryFixture.start(3, 1);
    proxy = await SlowZabbixProxy.start(slow.url);
    pullHosts = bullQueue(shared.redisUrl, shared.prefix, 'pull_hosts');
  });
  afterAll(async () => {
    await proxy?.close();
    await t?.close();
    await pullHosts?.close();
    await slow?.close();
    await fast?.close();
    await shared?.close();
  });

  /** The pull_hosts tasks of a monitor that have not ended, by state. */
  async function unfinished(monitorId: number): Promise<Record<string, string[]>> {
    const byState: Record<string, string[]> = {};
    for (const state of ['waiting', 'active', 'delayed'] as const) {
      const jobs = await pullHosts.getJobs([state]);
      byState[state] = jobs
        .filter((job) => (job.data as { params: { monitor_id: number } }).params.monitor_id === monitorId)
        .map((job) => `pull_hosts:${job.id}`);
    }
    return byState;
  }

  /** Queues a pull of the monitor and waits for it to complete; how long that took, in ms. */
  async function timedPull(monitorId: number): Promise<{ ms: number; task: TaskJson }> {
    const started = Date.now();
    const res = await api.post(`/monitors/${monitorId}/hosts/pull-async`);
    expect(res.status).toBe(202);
    const task = await waitForTask(t.http, token, res.body.task_id, ['completed', 'dead'], 30_000);
    return { ms: Date.now() - started, task };
  }

  it('keeps one task at work and one pending for the slow monitor, and another monitor pulls in its normal time', async () => {
    const slowId = (await createMonitor(api, { url: proxy.url, password: slow.password })).id;
    const fastId = (await createMonitor(api, { url: fast.url, password: fast.password })).id;
    const normal = await timedPull(fastId);
    expect(normal.task.state).toBe('completed');

    proxy.hold('host.get');
    const burst = await Promise.all(Array.from({ length: 50 }, () => api.post(`/monitors/${slowId}/hosts/pull-async`)));
    expect(burst.map((res) => res.status)).toEqual(Array(50).fill(202));
    const ids = [...new Set(burst.map((res) => res.body.task_id as string))];
    // The first task, and at most the one follow-up queued once the first started its work.
    expect(ids.length).toBeGreaterThanOrEqual(1);
    expect(ids.length).toBeLessThanOrEqual(2);
    expect(burst.filter((res) => res.body.deduplicated === true)).toHaveLength(50 - ids.length);
    for (const res of burst.filter((answer) => answer.body.deduplicated !== true)) {
      expect(res.body).not.toHaveProperty('deduplicated');
    }

    // The first holds the monitor (its host.get held); requests now get the one follow-up.
    const start = Date.now();
    while (proxy.held('host.get') < 1) {
      if (Date.now() - start > 15_000) throw new Error('the first pull never reached host.get');
      await sleep(20);
    }
    const more = await Promise.all(Array.from({ length: 20 }, () => api.post(`/monitors/${slowId}/hosts/pull-async`)));
    const followUps = new Set(more.map((res) => res.body.task_id as string));
    expect(followUps.size).toBe(1);
    const [followUp] = followUps;
    expect(more.filter((res) => res.body.deduplicated === true).length).toBeGreaterThanOrEqual(19);

    const duringHold = await timedPull(fastId);
    expect(duringHold.task.state).toBe('completed');
    // Normally a few hundred ms here; slot starvation would last as long as the hold (the whole test).
    expect(duringHold.ms).toBeLessThan(2000);

    const pending = await unfinished(slowId);
    const all = [...pending.waiting, ...pending.active, ...pending.delayed];
    expect(new Set(all).size).toBe(2);
    expect(all).toContain(followUp);
    const first = ids.find((id) => id !== followUp) ?? ids[0];
    expect(pending.active).toContain(first);
    expect(proxy.held('host.get')).toBe(1);
    const waitingFollowUp = (await api.get(`/tasks/${followUp}`)).body as TaskJson;
    expect(['waiting', 'delayed', 'active']).toContain(waitingFollowUp.state);
    // Deferred, maybe many times, but no attempt spent: only one running now counts as one.
    expect(waitingFollowUp.attempts_made).toBe(waitingFollowUp.state === 'active' ? 1 : 0);

    proxy.release('host.get');
    const done = await Promise.all(
      [first, followUp].map((id) => waitForTask(t.http, token, id, ['completed', 'dead'], 30_000)),
    );
    for (const task of done) expect(task).toMatchObject({ state: 'completed', attempts_made: 1 });
    // Two pulls ran, no more: each asks host.get twice (the monitor's host ids, then their page of hosts).
    expect(proxy.count('host.get')).toBe(2 * 2);
    expect(Object.values(await unfinished(slowId)).flat()).toEqual([]);
  });

  it('answered every request with a status and a body its OpenAPI document gives', () => {
    expect(documented.checked).toBeGreaterThan(50);
    expect(documented.problems()).toEqual([]);
  });
});
