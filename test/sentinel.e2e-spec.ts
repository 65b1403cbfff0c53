import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createHost } from './support/inventory-factory';
import { apiOn, getTask, type TaskState } from './support/queue-helpers';
import { MASTER_NAME, SentinelCluster } from './support/sentinel-cluster';
import { startTestApp, type TestApp } from './support/test-app';
import { sleep } from './support/time';

/**
 * Issue #6 item 4: Redis Sentinel. A real master, replica and three sentinels (Debian's redis-sentinel) on
 * loopback; the master is SIGKILLed while tasks are being queued, and every task that got a 202 must complete
 * on the promoted replica.
 */
const MASTER_PASSWORD = `master-${randomBytes(8).toString('hex')}`;
const SENTINEL_PASSWORD = `sentinel-${randomBytes(8).toString('hex')}`;
/** Bull's stall check (30 s) must find the tasks that were active on the dead master: allow two rounds and more. */
const ALL_DONE_DEADLINE_MS = 150_000;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms waiting until ${what}`);
    await sleep(100);
  }
}

describe('Redis Sentinel (a real master, replica and three sentinels)', () => {
  let cluster: SentinelCluster | undefined;
  let t: TestApp | undefined;
  let token: string;

  const app = () => {
    if (!t) throw new Error('the service did not start');
    return t;
  };
  const enqueue = () => apiOn(app().http, token).post('/alerts/generate-test-async?count=1');
  const jobKey = (taskId: string) => `${app().config.queue.prefix}:generate_alerts:${taskId.split(':')[1]}`;

  beforeAll(async () => {
    cluster = await SentinelCluster.start({ masterPassword: MASTER_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
    t = await startTestApp({
      // No direct Redis: the test environment's REDIS_URL would be refused beside the sentinels.
      REDIS_URL: '',
      REDIS_SENTINELS: cluster.sentinelsJson,
      REDIS_SENTINEL_NAME: MASTER_NAME,
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      REDIS_PASSWORD: MASTER_PASSWORD,
    });
    token = await t.login();
    // generate_alerts needs a host to alert on.
    await createHost(apiOn(t.http, token));
  }, 90_000);

  afterAll(async () => {
    // Each step on its own, so a failure in one still ends every process.
    await t?.close().catch(() => undefined);
    await cluster?.destroy();
  });

  it('reaches the master the sentinels name: ready, with Redis up', async () => {
    const res = await request(app().http).get('/health/ready');
    expect(res.status).toBe(200);
    expect(res.body.details.redis).toMatchObject({ status: 'up' });
    expect(app().config.redis.display).toBe(
      `sentinel master ${MASTER_NAME} via ${cluster!.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}`,
    );
  });

  it('answers 202 only once the replica holds the task, and the task runs', async () => {
    const res = await enqueue();
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 202 });
    // Read straight from the replica at once: WAIT put the task there before the 202.
    expect(await cluster!.onRedis('replica', (client) => client.exists(jobKey(res.body.task_id)))).toBe(1);
    await until('the task completes', async () => stateOf(res.body.task_id, 'completed'), 30_000);
  });

  it('answers 503, not 202, while the replica cannot confirm, and 202 again once it can', async () => {
    cluster!.freezeReplica(true);
    let frozen: request.Response;
    try {
      frozen = await enqueue();
    } finally {
      cluster!.freezeReplica(false);
    }
    expect({ status: frozen.status, body: frozen.body }).toMatchObject({ status: 503 });
    expect(JSON.stringify(frozen.body)).toMatch(/replicas did not confirm|unavailable/);
    const again = await until(
      'an enqueue answers 202 after the replica thawed',
      async () => {
        const res = await enqueue();
        return res.status === 202 ? res : undefined;
      },
      30_000,
    );
    await until('the task completes', async () => stateOf(again.body.task_id, 'completed'), 30_000);
  });

  it('fails over when the master is killed: tasks flow again on the promoted replica and no task that got a 202 is lost', async () => {
    const accepted: { taskId: string; at: number }[] = [];
    const statuses: Record<number, number> = {};
    const refusals = new Set<string>();
    let stop = false;
    const producer = (async () => {
      while (!stop) {
        const res = await enqueue();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 202) accepted.push({ taskId: res.body.task_id as string, at: Date.now() });
        else refusals.add(`${res.status} ${JSON.stringify(res.body?.message ?? res.body)}`);
        await sleep(50);
      }
    })();

    try {
      await until('ten tasks are accepted', async () => (accepted.length >= 10 ? true : undefined), 30_000);
      const oldMaster = cluster!.masterPort;
      const killedAt = Date.now();
      await cluster!.killMaster();

      const promoted = await until(
        'the sentinels name a new master',
        async () => {
          const port = await cluster!.masterPortSeenBySentinels();
          return port !== undefined && port !== oldMaster ? port : undefined;
        },
        60_000,
      );
      const failoverMs = Date.now() - killedAt;
      expect(promoted).toBe(cluster!.replicaPort);
      expect(await cluster!.roleOf(promoted)).toBe('master');
      // The promoted master has no replica yet, so no enqueue can be confirmed (503s) until the crashed machine
      // comes back and the sentinels turn it into the new master's replica.
      await cluster!.restartKilledMaster();
      const oldMasterBackMs = Date.now() - killedAt;

      const firstAfter = await until(
        'a task is accepted after the kill',
        async () => accepted.find((task) => task.at > killedAt + oldMasterBackMs),
        60_000,
      );
      await until('that task completes', async () => stateOf(firstAfter.taskId, 'completed'), 60_000);
      const flowingAgainMs = Date.now() - killedAt;
      await sleep(2000);
      stop = true;
      await producer;

      const acceptedAfter = accepted.filter((task) => task.at > killedAt).length;
      expect(acceptedAfter).toBeGreaterThan(0);
      // Clients saw 202 or 503 only: never a 500, never a hang past the API's bound.
      expect(Object.keys(statuses).sort()).toEqual(expect.arrayContaining(['202']));
      expect(Object.keys(statuses).filter((status) => status !== '202' && status !== '503')).toEqual([]);

      const final = await finalStates(accepted.map((task) => task.taskId));
      const lost = [...final].filter(([, state]) => state === 'unknown').map(([taskId]) => taskId);
      const unfinished = [...final].filter(([, state]) => state !== 'completed' && state !== 'unknown');
      console.log(
        `Sentinel failover: sentinels promoted the replica ${failoverMs} ms after the master was killed; ` +
          `old master restarted (to rejoin as a replica) at ${oldMasterBackMs} ms; ` +
          `tasks flowing again (a new task accepted and completed) after ${flowingAgainMs} ms; ` +
          `${accepted.length} tasks answered 202 (${acceptedAfter} after the kill), ` +
          `${statuses[503] ?? 0} answered 503 (${[...refusals].join('; ')}); lost: ${lost.length}; not completed: ${unfinished.length}`,
      );
      expect(lost).toEqual([]);
      expect(unfinished).toEqual([]);

      const ready = await request(app().http).get('/health/ready');
      expect(ready.status).toBe(200);
      const log = app().systemLog();
      expect(log).not.toContain(MASTER_PASSWORD);
      expect(log).not.toContain(SENTINEL_PASSWORD);
    } finally {
      stop = true;
      await producer;
    }
  }, 300_000);

  /** The task's state when it is `wanted`, else undefined (for polling). */
  async function stateOf(taskId: string, wanted: TaskState): Promise<TaskState | undefined> {
    const res = await getTask(app().http, token, taskId);
    return res.status === 200 && res.body.state === wanted ? wanted : undefined;
  }

  /**
   * Polls every task until all completed or the deadline passes; each one's last state, `unknown` for a task
   * the service no longer knows (404): a lost task.
   */
  async function finalStates(taskIds: string[]): Promise<Map<string, TaskState | 'unknown' | string>> {
    const states = new Map<string, TaskState | 'unknown' | string>();
    const deadline = Date.now() + ALL_DONE_DEADLINE_MS;
    let pending = [...taskIds];
    while (pending.length > 0) {
      for (const taskId of pending) {
        const res = await getTask(app().http, token, taskId);
        states.set(taskId, res.status === 200 ? res.body.state : res.status === 404 ? 'unknown' : `http ${res.status}`);
      }
      pending = pending.filter((taskId) => states.get(taskId) !== 'completed');
      if (pending.length === 0 || Date.now() > deadline) break;
      await sleep(500);
    }
    return states;
  }
});
