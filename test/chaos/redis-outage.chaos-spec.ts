import type { ServiceProcess } from '../support/service-process';
import { Client, Cluster, DurableRedis, recordFigures, settle } from './chaos-support';
import { sleep } from '../support/time';

/**
 * Part 2, Redis outage: an API process and a worker process on a private Redis, under a steady enqueue load, while
 * that Redis is killed (SIGKILL) and started again 10 s later on the same port with what it had acknowledged (AOF,
 * fsync always). Every request must get 202 or 503 within 3 s; every 202 must complete once Redis is back;
 * readiness says 503 while Redis is down, liveness 200 throughout; neither process restarts.
 */
const BEFORE_MS = 3_000;
const OUTAGE_MS = 10_000;
const AFTER_MS = 7_000;
const CLIENTS = 4;
/** The answer every request must have within this. */
const ANSWER_WITHIN_MS = 3_000;
/** How long a request may take before we call it hung (well past the promise, so a slow answer is still seen). */
const HANG_MS = 10_000;
/** Readiness may lag the kill this much (its Redis probe has a 1 s timeout). */
const READINESS_GRACE_MS = 1_500;

interface Sample {
  started: number;
  ended: number;
  status: number | string;
}

describe('chaos 2: Redis stopped for 10 s under enqueue load', () => {
  let redis: DurableRedis;
  let cluster: Cluster;
  let api: ServiceProcess;
  let worker: ServiceProcess;
  let client: Client;

  beforeAll(async () => {
    redis = await DurableRedis.start();
    cluster = await new Cluster(redis.url).init();
    api = await cluster.startServer('api');
    worker = await cluster.startWorker();
    client = new Client(`http://127.0.0.1:${api.port}`);
    await client.login();
    for (let i = 0; i < 5; i++)
      expect((await client.post('/api/v1/hosts', { name: `outage-host-${i}` })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await cluster?.close();
    await redis?.destroy();
  });

  /** One timed request: its status, or 'hang' / the error's name when no answer came. */
  async function timed(path: string, method: string, auth: boolean): Promise<Sample & { body: unknown }> {
    const started = Date.now();
    try {
      const res = await client.call(method, path, undefined, auth, HANG_MS);
      return { started, ended: Date.now(), status: res.status, body: res.body };
    } catch (error) {
      const name = (error as Error).name;
      return { started, ended: Date.now(), status: name === 'TimeoutError' ? 'hang' : name, body: undefined };
    }
  }

  it('answers every request 202 or 503 within 3 s, completes every 202, and says not ready but alive', async () => {
    const apiPid = api.pid;
    const workerPid = worker.pid;
    const began = Date.now();
    let stopping = false;
    const enqueues: (Sample & { taskId?: string })[] = [];
    const ready: Sample[] = [];
    const live: Sample[] = [];

    const loadLoop = async () => {
      while (!stopping) {
        const sample = await timed('/api/v1/alerts/generate-test-async?count=1', 'POST', true);
        const taskId = sample.status === 202 ? (sample.body as { task_id: string }).task_id : undefined;
        enqueues.push({ started: sample.started, ended: sample.ended, status: sample.status, taskId });
        await sleep(20);
      }
    };
    const probeLoop = async (path: string, into: Sample[]) => {
      while (!stopping) {
        const { started, ended, status } = await timed(path, 'GET', false);
        into.push({ started, ended, status });
        await sleep(200);
      }
    };
    const loops = [
      ...Array.from({ length: CLIENTS }, loadLoop),
      probeLoop('/health/ready', ready),
      probeLoop('/health/live', live),
    ];

    await sleep(BEFORE_MS);
    await redis.stop();
    const downAt = Date.now();
    await sleep(OUTAGE_MS);
    await redis.resume();
    const upAt = Date.now();
    await sleep(AFTER_MS);
    stopping = true;
    await Promise.all(loops);

    const readyAgain = ready.find((s) => s.started >= upAt && s.status === 200);
    const accepted = enqueues.filter((s) => s.taskId).map((s) => s.taskId!);
    const final = await settle(client, accepted, 120_000);
    const notCompleted = accepted.filter((id) => final.get(id)?.state !== 'completed');

    const statusCounts = (samples: Sample[]) => {
      const counts: Record<string, number> = {};
      for (const s of samples) counts[String(s.status)] = (counts[String(s.status)] ?? 0) + 1;
      return counts;
    };
    const duringOutage = (s: Sample) => s.started >= downAt + READINESS_GRACE_MS && s.ended <= upAt;
    const slow = enqueues.filter((s) => s.ended - s.started > ANSWER_WITHIN_MS);
    const wrong = enqueues.filter((s) => s.status !== 202 && s.status !== 503);
    const readyDuring = ready.filter(duringOutage);
    // Tasks queued beyond the 202s: a 503 whose enqueue reached Redis after all.
    const detail = (await client.get('/api/v1/queue/stats/detail')).body as {
      queues: Record<string, { completed: number; active: number; waiting: number; delayed: number }>;
      dead: number;
    };
    const queuedTotal = detail.queues.generate_alerts.completed;

    await recordFigures('redis-outage', {
      outage_ms: upAt - downAt,
      requests: enqueues.length,
      requests_by_status: statusCounts(enqueues),
      requests_during_outage: enqueues.filter((s) => s.started >= downAt && s.ended <= upAt).length,
      max_answer_ms: Math.max(...enqueues.map((s) => s.ended - s.started)),
      answers_over_3s: slow.length,
      non_202_503: wrong.length,
      http_5xx_other_than_503: enqueues.filter(
        (s) => typeof s.status === 'number' && s.status >= 500 && s.status !== 503,
      ).length,
      accepted_202: accepted.length,
      accepted_completed: accepted.length - notCompleted.length,
      lost: notCompleted.length,
      tasks_completed_in_queue: queuedTotal,
      rejected_503_but_queued: queuedTotal - accepted.length,
      readiness_by_status: statusCounts(ready),
      readiness_during_outage_by_status: statusCounts(readyDuring),
      readiness_200_again_after_ms: readyAgain ? readyAgain.ended - upAt : null,
      liveness_by_status: statusCounts(live),
      process_restarts:
        (api.pid !== apiPid || api.status ? 1 : 0) + (worker.pid !== workerPid || worker.status ? 1 : 0),
      runtime_ms: Date.now() - began,
    });

    expect(wrong).toEqual([]);
    expect(slow).toEqual([]);
    expect(enqueues.filter((s) => s.status === 503).length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThan(0);
    expect(notCompleted).toEqual([]);
    expect(readyDuring.length).toBeGreaterThan(0);
    expect(readyDuring.filter((s) => s.status !== 503)).toEqual([]);
    expect(readyAgain).toBeDefined();
    expect(live.filter((s) => s.status !== 200)).toEqual([]);
    expect(api.status).toBeUndefined();
    expect(worker.status).toBeUndefined();
    expect(detail.dead).toBe(0);
  }, 240_000);
});
