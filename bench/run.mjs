// The benchmark suite (issue #7): `npm run bench` builds, then runs this against dist/main.js.
// Each figure is measured next to a baseline in the same run; the ratios are what count on a noisy machine.
// See docs/benchmarks.md for the method.
/* global fetch, AbortSignal */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, loadavg, tmpdir, totalmem, type as osType, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import autocannon from 'autocannon';
import Queue from 'bull';
import Redis from 'ioredis';
import {
  BENCH_DIR,
  checkRedis,
  Child,
  cpuSecondsOf,
  deleteKeys,
  expectStatus,
  freePort,
  http,
  memoryOf,
  percentile,
  PRODUCER_JOB_OPTIONS,
  redisUrl,
  round,
  Service,
  sleep,
  targetsTable,
  textTable,
} from './lib.mjs';
import { createBenchDatabase, dropBenchDatabase, postgresSettings } from './postgres.mjs';

const env = process.env;
const SETTINGS = {
  enqueueSeconds: Number(env.BENCH_ENQUEUE_SECONDS || 10),
  enqueueWarmupSeconds: Number(env.BENCH_ENQUEUE_WARMUP_SECONDS || 3),
  connections: 50,
  drainTasks: Number(env.BENCH_DRAIN_TASKS || 20_000),
  concurrency: 4,
  syncHosts: Number(env.BENCH_SYNC_HOSTS || 2000),
  syncItemsPerHost: Number(env.BENCH_SYNC_ITEMS || 10),
  idleProbeSeconds: 3,
};
/**
 * BENCH_ONLY=sync,pgsync,enqueue,drain,pgdrain,noop (sync includes responsiveness) runs a subset; the default is
 * all. pgsync and pgdrain run on a PostgreSQL database of the run's own (bench/postgres.mjs); pgsync's ratio needs
 * sync's figure.
 */
const ALL_PARTS = ['sync', 'pgsync', 'enqueue', 'drain', 'pgdrain', 'noop'];
const ONLY = new Set((env.BENCH_ONLY || ALL_PARTS.join(',')).split(',').map((part) => part.trim()));
const POSTGRES = ONLY.has('pgsync') || ONLY.has('pgdrain');
/**
 * BENCH_PROFILE_DIR=<dir> runs the services, the no-op drain's plain Bull baseline and the drains' SQL references under
 * --cpu-prof, and leaves the profiles there.
 */
const PROFILE_DIR = env.BENCH_PROFILE_DIR;
const profileArgs = (name) =>
  PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
/**
 * BENCH_SERVICE_NODE_ARGS='<args>' adds node options to every service the bench starts (ours, not the baselines),
 * e.g. `--require ./bench/ablations/no-task-lines.cjs` to measure what a part of the worker costs (bench/ablations).
 */
const SERVICE_NODE_ARGS = (env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
const KEEP = env.BENCH_KEEP === '1';
const PROBE_LOOPS = 3;
/** Rounds of the no-op drain, ours and plain Bull alternated, so a busy moment of the machine hits both sides. */
const NOOP_ROUNDS = Number(env.BENCH_NOOP_ROUNDS || 3);
const SYNC_RUNS = 3;

const REDIS = redisUrl();
const RUN_ID = randomBytes(4).toString('hex');
const PREFIX = `nagare:bench:${RUN_ID}`;
const ADMIN_PASSWORD = `bench-${randomBytes(8).toString('hex')}`;
const WORK = mkdtempSync(join(tmpdir(), 'nagare-bench-'));
/** The services' SQLite database; the PostgreSQL one (pgsync, pgdrain) is made in main(). */
const SQLITE_FILE = join(WORK, 'nagare.sqlite');
const SQLITE_URL = `sqlite:${SQLITE_FILE}`;
let postgresUrl;
const children = new Set();
/** The sizes the issue names: a run at other sizes (CI's smoke run) prints its verdicts, but they do not count. */
const ISSUE_SIZES =
  SETTINGS.enqueueSeconds === 10 &&
  SETTINGS.drainTasks === 20_000 &&
  SETTINGS.syncHosts === 2000 &&
  SETTINGS.syncItemsPerHost === 10;
const results = { settings: { ...SETTINGS, issue_sizes: ISSUE_SIZES } };

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function track(child) {
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

async function startService(name, role, extraEnv = {}, preload = []) {
  const port = role === 'worker' ? 0 : await freePort();
  const serviceEnv = {
    NODE_ENV: 'development',
    PORT: String(port || 8080),
    HOST: '127.0.0.1',
    REDIS_URL: REDIS,
    DATABASE_URL: SQLITE_URL,
    DATA_DIR: join(WORK, 'data'),
    LOG_DIR: join(WORK, `logs-${name}`),
    JWT_SECRET: `bench-secret-${RUN_ID}-0123456789abcdef0123456789`,
    NAGARE_ROLE: role,
    QUEUE_PREFIX: PREFIX,
    NAGARE_ADMIN_USERNAME: 'admin',
    NAGARE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    WORKER_CONCURRENCY: String(SETTINGS.concurrency),
    LOG_LEVEL: env.BENCH_LOG_LEVEL || 'info',
    // The enqueue benchmark queues thousands of tasks a second as one user, far past the per-user default.
    QUOTA_ENQUEUE_PER_MINUTE: '1000000',
    // Off: the bench finds its worker by its log, and the default 8081 may be taken on this machine.
    WORKER_PROBE_PORT: '0',
    ...extraEnv,
  };
  const nodeArgs = [...preload.flatMap((file) => ['--require', file]), ...profileArgs(name), ...SERVICE_NODE_ARGS];
  const service = track(new Service(name, serviceEnv, { logFile: join(WORK, `${name}.out`), nodeArgs }));
  await service.ready();
  return service;
}

async function login(service) {
  const body = expectStatus(
    'login',
    await http('POST', service.url('/api/v1/auth/login'), { body: { username: 'admin', password: ADMIN_PASSWORD } }),
    200,
  );
  return body.token;
}

// ------------------------------------------------------------------ responsiveness probe

/**
 * Requests each path one after another (a pause of `gapMs` between two) until `stop()` is true, in PROBE_LOOPS
 * loops per path, and keeps the latencies of each path. Three loops give a sync of under 200 ms some 40 samples
 * per path rather than about 12.
 */
async function probe(service, token, paths, stop, gapMs = 10) {
  const latencies = Object.fromEntries(paths.map((path) => [path, []]));
  const failures = Object.fromEntries(paths.map((path) => [path, 0]));
  const loops = paths.flatMap((path) => Array.from({ length: PROBE_LOOPS }, () => path));
  await Promise.all(
    loops.map(async (path) => {
      const headers = { Authorization: `Bearer ${token}` };
      while (!stop()) {
        const started = performance.now();
        try {
          const res = await fetch(service.url(path), { headers, signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          if (res.status !== 200) failures[path] += 1;
        } catch {
          failures[path] += 1;
        }
        latencies[path].push(performance.now() - started);
        await sleep(gapMs);
      }
    }),
  );
  return Object.fromEntries(
    paths.map((path) => [
      path,
      {
        samples: latencies[path].length,
        failures: failures[path],
        p50: round(percentile(latencies[path], 50), 2),
        p99: round(percentile(latencies[path], 99), 2),
        max: round(Math.max(...latencies[path]), 2),
      },
    ]),
  );
}

// ------------------------------------------------------------------ sync, responsiveness, PostgreSQL sync

/** The Zabbix fixture every sync runs against: the issue's sizes with `sync` or `pgsync`, else a small one. */
async function startFixture() {
  const full = ONLY.has('sync') || ONLY.has('pgsync');
  const hosts = full ? SETTINGS.syncHosts : 50;
  const itemsPerHost = full ? SETTINGS.syncItemsPerHost : 10;
  log(`Zabbix fixture: ${hosts} hosts × ${itemsPerHost} items`);
  const fixture = track(
    new Child('zabbix-fixture', [join(BENCH_DIR, 'zabbix-fixture.mjs'), String(hosts), String(itemsPerHost)], {
      logFile: join(WORK, 'zabbix-fixture.out'),
    }),
  );
  return { fixture, zabbix: await fixture.message() };
}

/** Monitors on the fixture, and first syncs of them as tasks in a role-`all` service. */
function syncer(service, token, zabbix) {
  // Each monitor on the same fixture: each pull is a first sync, storing every host and item anew.
  const createMonitor = async (name) =>
    expectStatus(
      'create monitor',
      await http('POST', service.url('/api/v1/monitors'), {
        token,
        body: { name, url: zabbix.url, type: 'zabbix', username: zabbix.username, password: zabbix.password },
      }),
      201,
    );
  /** Queues pull_hosts of the monitor and polls the task until it ends; its wall time is started_at → finished_at. */
  const runSync = async (monitorId) => {
    const posted = performance.now();
    const queued = expectStatus(
      'pull-async',
      await http('POST', service.url(`/api/v1/monitors/${monitorId}/hosts/pull-async`), { token }),
      202,
    );
    let task;
    for (;;) {
      task = expectStatus('task', await http('GET', service.url(`/api/v1/tasks/${queued.task_id}`), { token }), 200);
      if (task.state === 'completed' || task.state === 'failed' || task.state === 'dead') break;
      if (performance.now() - posted > 180_000) throw new Error(`the sync did not end within 3 minutes: ${task.state}`);
      await sleep(50);
    }
    if (task.state !== 'completed') throw new Error(`the sync task ended ${task.state}: ${JSON.stringify(task.error)}`);
    return {
      task,
      endToEndMs: performance.now() - posted,
      wallMs: Date.parse(task.finished_at) - Date.parse(task.started_at),
    };
  };
  /** SYNC_RUNS first syncs, a monitor each, one after another; the median's wall time is the figure. */
  const runSyncs = async (label) => {
    const runs = [];
    while (runs.length < SYNC_RUNS) runs.push(await runSync((await createMonitor(`${label}-${runs.length}`)).id));
    return { runs, measured: runs.toSorted((a, b) => a.wallMs - b.wallMs)[Math.floor(SYNC_RUNS / 2)] };
  };
  /** Without `sync` (or `pgsync`): one small pull, so the alert generator has hosts. */
  const smallPull = async () => {
    const monitor = await createMonitor('bench');
    expectStatus('pull', await http('POST', service.url(`/api/v1/monitors/${monitor.id}/hosts/pull`), { token }), 200);
  };
  return { createMonitor, runSync, runSyncs, smallPull };
}

async function syncBench({ zabbix }) {
  const service = await startService('all', 'all');
  const token = await login(service);
  const sync = syncer(service, token, zabbix);

  if (!ONLY.has('sync')) {
    log('sync skipped: pulling a small monitor so the alert generator has hosts');
    await sync.smallPull();
    await service.stop();
    return;
  }

  // The sync on its own, as the fetch-only baseline runs on its own: the median wall time of SYNC_RUNS first
  // syncs (a monitor each) is the figure; one run of a sync this short swings with the machine.
  log(`sync: pull_hosts as a task in the role-all process, ${SYNC_RUNS} monitors one after another`);
  const cpuBefore = cpuSecondsOf(service.pid);
  const { runs: syncRuns, measured } = await sync.runSyncs('bench');
  const cpuSeconds = cpuSecondsOf(service.pid) - cpuBefore;

  // The same first sync of another monitor, with the probes running: their latencies are the figure.
  const paths = ['/health/live', '/api/v1/queue/stats'];
  log(`responsiveness at idle (${SETTINGS.idleProbeSeconds} s)`);
  await probe(
    service,
    token,
    paths,
    (() => {
      const until = performance.now() + 500;
      return () => performance.now() > until;
    })(),
  ); // warm-up, not counted
  const idleUntil = performance.now() + SETTINGS.idleProbeSeconds * 1000;
  const idle = await probe(service, token, paths, () => performance.now() > idleUntil);

  log('responsiveness: the same sync of another monitor, probing latencies meanwhile');
  const probed = await sync.createMonitor('bench-probed');
  let syncing = true;
  const probing = probe(service, token, paths, () => !syncing);
  const during = await sync.runSync(probed.id).finally(() => {
    syncing = false;
  });
  const duringProbes = await probing;
  const memory = memoryOf(service.pid);
  const { task } = measured;
  const syncMs = measured.wallMs;
  await service.stop();

  log(`sync baseline: the same JSON-RPC calls, replies thrown away (${SYNC_RUNS} rounds in one process, median)`);
  const fetchOnly = track(
    new Child(
      'fetch-only',
      [
        join(BENCH_DIR, 'baselines', 'fetch-only.mjs'),
        zabbix.url,
        zabbix.username,
        zabbix.password,
        '100',
        String(SYNC_RUNS),
      ],
      { logFile: join(WORK, 'fetch-only.out') },
    ),
  );
  const baselineRuns = [];
  while (baselineRuns.length < SYNC_RUNS) baselineRuns.push(await fetchOnly.message(120_000));
  const baseline = baselineRuns.toSorted((a, b) => a.ms - b.ms)[Math.floor(SYNC_RUNS / 2)];

  const totalItems = task.result.items.total;
  results.sync = {
    hosts: task.result.total,
    items: totalItems,
    wall_ms: syncMs,
    end_to_end_ms: round(measured.endToEndMs, 0),
    hosts_per_s: round((task.result.total * 1000) / syncMs, 0),
    items_per_s: round((totalItems * 1000) / syncMs, 0),
    peak_rss_mb: memory.peakRssMb,
    baseline_fetch_only_ms: round(baseline.ms, 0),
    baseline_calls: baseline.calls,
    baseline_bytes: baseline.bytes,
    ratio: round(syncMs / baseline.ms, 2),
    runs_wall_ms: syncRuns.map((run) => run.wallMs),
    runs_fetch_only_ms: baselineRuns.map((run) => round(run.ms, 0)),
    probed_sync_wall_ms: during.wallMs,
    // As for PostgreSQL: the service's CPU over the SYNC_RUNS syncs, steadier than their wall time on a busy machine.
    service_cpu_us_per_item: round((cpuSeconds * 1e6) / (SYNC_RUNS * totalItems), 1),
  };
  results.responsiveness = { idle, during_sync: duringProbes };
}

/**
 * Benchmark 4: the same SYNC_RUNS first syncs in a role-`all` service on the run's PostgreSQL database; ratio to the
 * SQLite median. The service's CPU time over its syncs, per item, shows how much of the wall time it waited on the
 * server. It leaves the database filled for pgdrain.
 */
async function postgresSyncBench({ zabbix }) {
  const service = await startService('all-pg', 'all', { DATABASE_URL: postgresUrl });
  const token = await login(service);
  const sync = syncer(service, token, zabbix);
  if (!ONLY.has('pgsync')) {
    log('PostgreSQL sync skipped: pulling a small monitor so the alert generator has hosts');
    await sync.smallPull();
    await service.stop();
    return;
  }
  log(`PostgreSQL sync: the same first syncs on PostgreSQL, ${SYNC_RUNS} monitors one after another`);
  const cpuBefore = cpuSecondsOf(service.pid);
  const { runs, measured } = await sync.runSyncs('bench-pg');
  const cpuSeconds = cpuSecondsOf(service.pid) - cpuBefore;
  await service.stop();
  const sqlite = results.sync?.wall_ms ?? null;
  const wallTotal = runs.reduce((sum, run) => sum + run.endToEndMs, 0) / 1000;
  results.pg_sync = {
    hosts: measured.task.result.total,
    items: measured.task.result.items.total,
    wall_ms: measured.wallMs,
    runs_wall_ms: runs.map((run) => run.wallMs),
    sqlite_wall_ms: sqlite,
    ratio_vs_sqlite: sqlite ? round(measured.wallMs / sqlite, 2) : null,
    // The service's CPU over the three syncs' polling spans against their wall time: the rest is waiting.
    service_cpu_share: round(cpuSeconds / wallTotal, 2),
    service_cpu_us_per_item: round((cpuSeconds * 1e6) / (SYNC_RUNS * measured.task.result.items.total), 1),
  };
}

// ------------------------------------------------------------------ 1: enqueue

async function cannon(url, token, seconds) {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: SETTINGS.connections,
    duration: seconds,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    requests: result.requests.total,
    rps: round(result.requests.average, 0),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** A load run, with the CPU time the process behind the URL spent meanwhile (user + system, /proc). */
async function cannonOn(pid, url, token, seconds) {
  const before = cpuSecondsOf(pid);
  const run = await cannon(url, token, seconds);
  const after = cpuSecondsOf(pid);
  return { ...run, cpu_seconds: before === null || after === null ? null : after - before };
}

/**
 * Runs sum up: requests/s over all of them; p50 is their mean, p99 the worst (percentiles do not merge). CPU per
 * request is the server's CPU time over the requests served: on a shared machine it moves much less than requests/s.
 */
function combine(runs, seconds) {
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const cpu = runs.some((run) => run.cpu_seconds === null) ? null : runs.reduce((sum, run) => sum + run.cpu_seconds, 0);
  return {
    requests,
    rps: round(requests / seconds, 0),
    cpu_us_per_request: cpu === null ? null : round((cpu * 1e6) / requests, 0),
    p50: round(runs.reduce((sum, run) => sum + run.p50, 0) / runs.length, 1),
    p99: Math.max(...runs.map((run) => run.p99)),
    non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

async function enqueueBench() {
  const path = '/api/v1/alerts/generate-test-async?count=1';
  const { enqueueSeconds: seconds, enqueueWarmupSeconds: warmup } = SETTINGS;

  const service = await startService('api', 'api');
  const token = await login(service);
  const port = await freePort();
  const nest = track(
    new Child('nest-baseline', [join(BENCH_DIR, 'baselines', 'nest-app.mjs'), String(port), REDIS, `${PREFIX}:nest`], {
      logFile: join(WORK, 'nest-baseline.out'),
    }),
  );
  await nest.message();
  const nestUrl = `http://127.0.0.1:${port}${path}`;

  // Ours and baseline (b) take turns in slices, so a burst of load from elsewhere hits both alike.
  const slices = Math.max(1, Math.round(seconds / 2.5));
  const slice = seconds / slices;
  log(
    `enqueue: ours (role api) and baseline (b), a minimal NestJS app calling queue.add: ${SETTINGS.connections} ` +
      `connections, ${warmup} s warm-up each, then ${slices} alternating slices of ${slice} s each`,
  );
  await cannon(service.url(path), token, warmup);
  await cannon(nestUrl, null, warmup);
  const oursRuns = [];
  const nestRuns = [];
  for (let i = 0; i < slices; i++) {
    // Which side goes first alternates from one pair of slices to the next.
    const oursSide = () => cannonOn(service.pid, service.url(path), token, slice).then((run) => oursRuns.push(run));
    const nestSide = () => cannonOn(nest.pid, nestUrl, null, slice).then((run) => nestRuns.push(run));
    if (i % 2 === 0) await oursSide().then(nestSide);
    else await nestSide().then(oursSide);
  }
  const ours = combine(oursRuns, seconds);
  const nestResult = combine(nestRuns, seconds);
  await service.stop();
  await nest.stop();

  log('enqueue baseline (a): plain bull queue.add, 50 in flight');
  const bull = track(
    new Child(
      'bull-enqueue',
      [
        join(BENCH_DIR, 'baselines', 'bull-enqueue.mjs'),
        REDIS,
        `${PREFIX}:plain`,
        String(seconds),
        String(SETTINGS.connections),
        String(warmup),
      ],
      { logFile: join(WORK, 'bull-enqueue.out') },
    ),
  );
  const bullResult = await bull.message(120_000);

  results.enqueue = {
    ours,
    baseline_nest: nestResult,
    baseline_bull: {
      requests: bullResult.requests,
      rps: round(bullResult.rps, 0),
      p50: round(bullResult.p50, 2),
      p99: round(bullResult.p99, 2),
    },
    ratio_vs_nest: round(ours.rps / nestResult.rps, 2),
    ratio_vs_bull: round(ours.rps / bullResult.rps, 2),
  };
  await deleteKeys(REDIS, `${PREFIX}:generate_alerts:*`);
  await deleteKeys(REDIS, `${PREFIX}:nest:*`);
  await deleteKeys(REDIS, `${PREFIX}:plain:*`);
}

// ------------------------------------------------------------------ 2: drain

async function fill(prefix, name, data, count) {
  const queue = new Queue(name, { prefix, redis: REDIS });
  await queue.isReady();
  for (let done = 0; done < count; done += 1000) {
    const batch = Math.min(1000, count - done);
    await queue.addBulk(Array.from({ length: batch }, () => ({ data, opts: PRODUCER_JOB_OPTIONS })));
  }
  await queue.close();
}

/** Starts the worker, then polls the queue's lists until it is empty: tasks/s from the first task taken. */
async function drain(prefix, name, count, startWorker) {
  const redis = new Redis(REDIS);
  const key = (part) => `${prefix}:${name}:${part}`;
  const counts = async () => {
    const [[, wait], [, active], [, delayed], [, failed], [, paused]] = await redis
      .multi()
      .llen(key('wait'))
      .llen(key('active'))
      .zcard(key('delayed'))
      .zcard(key('failed'))
      .llen(key('paused'))
      .exec();
    return { wait, active, delayed, failed, paused };
  };
  const before = await counts();
  if (before.wait !== count) throw new Error(`expected ${count} waiting jobs in ${name}, found ${before.wait}`);
  const worker = await startWorker();
  const cpuBefore = cpuSecondsOf(worker.pid);
  let started = null;
  let current = before;
  const deadline = performance.now() + 180_000;
  for (;;) {
    current = await counts();
    const now = performance.now();
    if (started === null && current.wait < count) started = now;
    if (current.wait + current.active + current.delayed + current.paused === 0) break;
    if (now > deadline) throw new Error(`${name} still had ${JSON.stringify(current)} after 3 minutes`);
    await sleep(20);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSecondsOf(worker.pid);
  const memory = memoryOf(worker.pid);
  await worker.stop();
  redis.disconnect();
  return {
    tasks: count,
    seconds: round(seconds, 2),
    tasks_per_s: round(count / seconds, 0),
    // The worker's own CPU per task (user + system, /proc, 10 ms ticks): steadier than tasks/s on a busy machine.
    cpu_us_per_task: cpuBefore === null || cpuAfter === null ? null : round(((cpuAfter - cpuBefore) * 1e6) / count, 0),
    failed: current.failed,
    ...memory,
  };
}

/** Our worker's drain of `count` generate_alerts tasks on `databaseUrl`, and how many reached the dead letters. */
async function drainOurs(name, databaseUrl, count) {
  await deleteKeys(REDIS, `${PREFIX}:generate_alerts:*`);
  await deleteKeys(REDIS, `${PREFIX}:dead:*`);
  await fill(PREFIX, 'generate_alerts', { type: 'generate_alerts', params: { count: 1 } }, count);
  const ours = await drain(PREFIX, 'generate_alerts', count, () =>
    startService(name, 'worker', { DATABASE_URL: databaseUrl }),
  );
  const deadRedis = new Redis(REDIS);
  const dead = await deadRedis.llen(`${PREFIX}:dead:wait`);
  deadRedis.disconnect();
  return { ...ours, dead_letters: dead };
}

/** Plain bull running the task's own SQL (bench/baselines/<script>) on `target`: the drain's reference. */
async function drainReference(script, target, count) {
  await deleteKeys(REDIS, `${PREFIX}:plain:sql:*`);
  await fill(`${PREFIX}:plain`, 'sql', { type: 'sql', params: { count: 1 } }, count);
  const args = [join(BENCH_DIR, 'baselines', script), REDIS, `${PREFIX}:plain`, String(SETTINGS.concurrency), target];
  return drain(`${PREFIX}:plain`, 'sql', count, async () => {
    const child = track(
      new Child(script, args, {
        logFile: join(WORK, `${script}.out`),
        nodeArgs: profileArgs(script.replace(/\.mjs$/, '')),
      }),
    );
    await child.message();
    return child;
  });
}

/** Benchmark 2: the drain on SQLite, against plain bull running the task's SQL (better-sqlite3), and no-op bull. */
async function drainBench() {
  const count = SETTINGS.drainTasks;
  log(`drain: ${count} generate_alerts tasks (count=1), one worker process at concurrency ${SETTINGS.concurrency}`);
  const ours = await drainOurs('worker', SQLITE_URL, count);
  log(`drain reference: plain bull running the task's SQL itself (better-sqlite3), ${count} jobs`);
  const sql = await drainReference('bull-drain-sql.mjs', SQLITE_FILE, count);
  log(`drain, for comparison: plain bull, ${count} no-op jobs at concurrency ${SETTINGS.concurrency}`);
  await fill(`${PREFIX}:plain`, 'noop', { type: 'noop', params: { count: 1 } }, count);
  const plain = await drain(`${PREFIX}:plain`, 'noop', count, startPlainBull);
  results.drain = {
    ours,
    reference_bull_sql: sql,
    ratio_vs_bull_sql: round(ours.tasks_per_s / sql.tasks_per_s, 2),
    baseline_bull: plain,
    ratio: round(ours.tasks_per_s / plain.tasks_per_s, 2),
  };
}

/** Benchmark 3: the same drain on PostgreSQL, against plain bull running the task's SQL through `pg`. */
async function postgresDrainBench() {
  const count = SETTINGS.drainTasks;
  log(`PostgreSQL drain: ${count} generate_alerts tasks, one worker process at concurrency ${SETTINGS.concurrency}`);
  const ours = await drainOurs('worker-pg', postgresUrl, count);
  log(`PostgreSQL drain reference: plain bull running the task's SQL itself (pg), ${count} jobs`);
  const sql = await drainReference('bull-drain-pg.mjs', postgresUrl, count);
  results.pg_drain = {
    ours,
    reference_bull_pg: sql,
    ratio_vs_bull_pg: round(ours.tasks_per_s / sql.tasks_per_s, 2),
  };
}

// ------------------------------------------------------------------ 3: no-op drain

let plainBullStarts = 0;

/** Starts the plain Bull no-op worker (bench/baselines/bull-drain.mjs) on `${PREFIX}:plain`. */
async function startPlainBull() {
  plainBullStarts += 1;
  const child = track(
    new Child('bull-drain', [join(BENCH_DIR, 'baselines', 'bull-drain.mjs'), REDIS, `${PREFIX}:plain`, '4'], {
      logFile: join(WORK, 'bull-drain.out'),
      nodeArgs: profileArgs(`bull-drain-${plainBullStarts}`),
    }),
  );
  await child.message();
  return child;
}

/**
 * The worker's own cost per task: our worker, its generate_alerts handler made a no-op (bench/noop-handler.cjs),
 * against plain Bull with a no-op processor, alternated NOOP_ROUNDS times; the median of each side counts.
 */
async function noopDrainBench() {
  const count = SETTINGS.drainTasks;
  const ours = [];
  const plain = [];
  const preload = [join(BENCH_DIR, 'noop-handler.cjs')];
  const runOurs = async (round_) => {
    await deleteKeys(REDIS, `${PREFIX}:generate_alerts:*`);
    await fill(PREFIX, 'generate_alerts', { type: 'generate_alerts', params: { count: 1 } }, count);
    const start = () => startService(`noop-worker-${round_ + 1}`, 'worker', {}, preload);
    ours.push(await drain(PREFIX, 'generate_alerts', count, start));
  };
  const runPlain = async () => {
    await deleteKeys(REDIS, `${PREFIX}:plain:*`);
    await fill(`${PREFIX}:plain`, 'noop', { type: 'noop', params: { count: 1 } }, count);
    plain.push(await drain(`${PREFIX}:plain`, 'noop', count, startPlainBull));
  };
  for (let round_ = 0; round_ < NOOP_ROUNDS; round_ += 1) {
    // Which side goes first alternates too, so neither always follows the other's load on Redis and the machine.
    const oursFirst = round_ % 2 === 0;
    log(
      `no-op drain ${round_ + 1}/${NOOP_ROUNDS}: ${count} tasks each, ${oursFirst ? 'ours first' : 'plain bull first'}`,
    );
    if (oursFirst) await runOurs(round_).then(runPlain);
    else await runPlain().then(() => runOurs(round_));
  }
  const median = (runs) => [...runs].sort((a, b) => a.cpu_us_per_task - b.cpu_us_per_task)[runs.length >> 1];
  const [oursMedian, plainMedian] = [median(ours), median(plain)];
  results.noop_drain = {
    ours: oursMedian,
    baseline_bull: plainMedian,
    cpu_ratio: round(oursMedian.cpu_us_per_task / plainMedian.cpu_us_per_task, 2),
    rounds: { ours: ours.map((run) => run.cpu_us_per_task), baseline_bull: plain.map((run) => run.cpu_us_per_task) },
  };
}

// ------------------------------------------------------------------ report

function targets() {
  const list = [];
  const add = (name, met, measured) => list.push({ target: name, met, measured });
  const { enqueue, drain, sync, responsiveness, noop_drain: noop, pg_drain: pgDrain, pg_sync: pgSync } = results;
  if (enqueue) {
    add(
      'enqueue ≥ 0.8 × minimal Nest app, p99 ≤ 50 ms',
      enqueue.ratio_vs_nest >= 0.8 && enqueue.ours.p99 <= 50 && enqueue.ours.non2xx === 0,
      `${enqueue.ratio_vs_nest} ×, p99 ${enqueue.ours.p99} ms, non-2xx ${enqueue.ours.non2xx}`,
    );
  }
  if (drain) {
    add(
      "drain (SQLite) ≥ 0.85 × plain Bull running the task's SQL",
      drain.ratio_vs_bull_sql >= 0.85 && drain.ours.failed === 0 && drain.ours.dead_letters === 0,
      `${drain.ratio_vs_bull_sql} ×, ${drain.ours.failed} failed`,
    );
  }
  if (pgDrain) {
    add(
      "drain (PostgreSQL) ≥ 0.85 × plain Bull running the task's SQL through pg",
      pgDrain.ratio_vs_bull_pg >= 0.85 && pgDrain.ours.failed === 0 && pgDrain.ours.dead_letters === 0,
      `${pgDrain.ratio_vs_bull_pg} ×, ${pgDrain.ours.failed} failed`,
    );
  }
  if (noop) {
    add(
      'no-op worker CPU/task ≤ 1.3 × plain Bull',
      noop.cpu_ratio <= 1.3 && noop.ours.failed === 0,
      `${noop.cpu_ratio} × (${noop.ours.cpu_us_per_task} µs vs ${noop.baseline_bull.cpu_us_per_task} µs)`,
    );
  }
  if (sync) {
    add(
      'sync ≤ 2 × fetch-only, peak RSS ≤ 400 MB',
      sync.ratio <= 2 && sync.peak_rss_mb !== null && sync.peak_rss_mb <= 400,
      `${sync.ratio} ×, ${sync.peak_rss_mb} MB`,
    );
  }
  if (responsiveness) {
    const worst = Math.max(...Object.values(responsiveness.during_sync).map((probe) => probe.p99));
    add('p99 ≤ 50 ms during the sync', worst <= 50, `worst p99 ${worst} ms`);
  }
  if (pgSync) {
    add(
      'first sync on PostgreSQL ≤ 2 × the same on SQLite',
      pgSync.ratio_vs_sqlite !== null && pgSync.ratio_vs_sqlite <= 2,
      `${pgSync.ratio_vs_sqlite} × (${pgSync.wall_ms} vs ${pgSync.sqlite_wall_ms} ms)`,
    );
  }
  return list;
}

/** The table's rows of the two drains (benchmarks 2 and 3), each against its reference. */
function drainRows(drain, pgDrain) {
  const rows = [];
  if (drain) {
    const sql = drain.reference_bull_sql;
    rows.push([
      "drain tasks/s, SQLite (vs bull + the task's SQL)",
      drain.ours.tasks_per_s,
      sql.tasks_per_s,
      drain.ratio_vs_bull_sql,
      `${drain.ours.tasks} in ${drain.ours.seconds} s vs ${sql.seconds} s; worker CPU/task ` +
        `${drain.ours.cpu_us_per_task} µs vs ${sql.cpu_us_per_task} µs; failed ${drain.ours.failed}`,
    ]);
    rows.push([
      'drain tasks/s, SQLite (vs no-op bull)',
      drain.ours.tasks_per_s,
      drain.baseline_bull.tasks_per_s,
      drain.ratio,
      `for comparison: plain bull with no-op jobs, worker CPU/task ${drain.baseline_bull.cpu_us_per_task} µs`,
    ]);
  }
  if (pgDrain) {
    const sql = pgDrain.reference_bull_pg;
    rows.push([
      "drain tasks/s, PostgreSQL (vs bull + the task's SQL via pg)",
      pgDrain.ours.tasks_per_s,
      sql.tasks_per_s,
      pgDrain.ratio_vs_bull_pg,
      `${pgDrain.ours.tasks} in ${pgDrain.ours.seconds} s vs ${sql.seconds} s; worker CPU/task ` +
        `${pgDrain.ours.cpu_us_per_task} µs vs ${sql.cpu_us_per_task} µs; failed ${pgDrain.ours.failed}`,
    ]);
  }
  return rows;
}

function report() {
  const rows = [['benchmark', 'ours', 'baseline', 'ratio', 'detail']];
  const { enqueue, drain, sync, responsiveness, noop_drain: noop, pg_drain: pgDrain, pg_sync: pgSync } = results;
  if (enqueue) {
    rows.push([
      'enqueue req/s (vs Nest app)',
      enqueue.ours.rps,
      enqueue.baseline_nest.rps,
      enqueue.ratio_vs_nest,
      `p50/p99 ${enqueue.ours.p50}/${enqueue.ours.p99} ms vs ${enqueue.baseline_nest.p50}/${enqueue.baseline_nest.p99} ms; ` +
        `server CPU/request ${enqueue.ours.cpu_us_per_request} µs vs ${enqueue.baseline_nest.cpu_us_per_request} µs`,
    ]);
    rows.push([
      'enqueue req/s (vs bull add)',
      enqueue.ours.rps,
      enqueue.baseline_bull.rps,
      enqueue.ratio_vs_bull,
      `bull p50/p99 ${enqueue.baseline_bull.p50}/${enqueue.baseline_bull.p99} ms`,
    ]);
  }
  rows.push(...drainRows(drain, pgDrain));
  if (noop) {
    rows.push([
      'no-op worker CPU µs/task (lower is better)',
      noop.ours.cpu_us_per_task,
      noop.baseline_bull.cpu_us_per_task,
      noop.cpu_ratio,
      `median of ${NOOP_ROUNDS} rounds: ours ${noop.rounds.ours.join('/')} µs, bull ${noop.rounds.baseline_bull.join('/')} µs; ` +
        `${noop.ours.tasks_per_s} vs ${noop.baseline_bull.tasks_per_s} tasks/s; failed ${noop.ours.failed}`,
    ]);
  }
  if (sync) {
    rows.push([
      'sync wall ms (lower is better)',
      sync.wall_ms,
      sync.baseline_fetch_only_ms,
      sync.ratio,
      `${sync.hosts} hosts/${sync.items} items: ${sync.hosts_per_s} hosts/s, ${sync.items_per_s} items/s, peak RSS ${sync.peak_rss_mb} MB; service CPU ${sync.service_cpu_us_per_item} µs/item`,
    ]);
  }
  if (pgSync) {
    rows.push([
      'sync wall ms, PostgreSQL (vs SQLite)',
      pgSync.wall_ms,
      pgSync.sqlite_wall_ms,
      pgSync.ratio_vs_sqlite,
      `runs ${pgSync.runs_wall_ms.join('/')} ms; service CPU ${pgSync.service_cpu_us_per_item} µs/item, ` +
        `busy ${round(pgSync.service_cpu_share * 100, 0)} % of the wall time`,
    ]);
  }
  if (responsiveness) {
    for (const path of Object.keys(responsiveness.idle)) {
      const busy = responsiveness.during_sync[path];
      const idle = responsiveness.idle[path];
      rows.push([
        `p99 ms ${path}`,
        busy.p99,
        idle.p99,
        round(busy.p99 / idle.p99, 1),
        `during sync vs idle; ${busy.samples} samples, max ${busy.max} ms, failures ${busy.failures}`,
      ]);
    }
  }
  const load = `Load average (1, 5, 15 min) at the start ${results.load_average.join(' ')}, at the end ${results.load_average_end.join(' ')}`;
  process.stdout.write(`\n${textTable(rows)}\n\n${load}\n\n${targetsTable(results.targets, ISSUE_SIZES)}\n`);
}

async function machine() {
  const redis = new Redis(REDIS);
  const info = await redis.info('server');
  redis.disconnect();
  return {
    host: hostname(),
    os: `${osType()} ${release()}`,
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_gb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    redis: /redis_version:(\S+)/.exec(info)?.[1],
    postgres: postgresUrl ? await postgresSettings(postgresUrl) : null,
  };
}

async function main() {
  const started = performance.now();
  await checkRedis(REDIS);
  results.started_at = new Date().toISOString();
  if (POSTGRES) postgresUrl = await createBenchDatabase(RUN_ID);
  results.machine = await machine();
  results.load_average = loadavg().map((load) => round(load, 2));
  log(`run ${RUN_ID}: queue prefix ${PREFIX}, work dir ${WORK}, load ${results.load_average.join(' ')}`);
  const fixture = await startFixture();
  await syncBench(fixture);
  if (POSTGRES) await postgresSyncBench(fixture);
  await fixture.fixture.stop();
  if (ONLY.has('enqueue')) await enqueueBench();
  if (ONLY.has('drain')) await drainBench();
  if (ONLY.has('pgdrain')) await postgresDrainBench();
  if (ONLY.has('noop')) await noopDrainBench();
  results.targets = targets();
  results.duration_s = round((performance.now() - started) / 1000, 0);
  results.load_average_end = loadavg().map((load) => round(load, 2));
  report();
  const file = resultsFile();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`done in ${results.duration_s} s; wrote ${relative(process.cwd(), file)}`);
}

/**
 * BENCH_OUT=<file> writes the results there (CI's smoke run). Without it, a whole run at the issue's sizes replaces the
 * committed bench/results/latest.json, and a subset or other sizes write bench/results/partial.json instead.
 */
function resultsFile() {
  if (env.BENCH_OUT) return resolve(env.BENCH_OUT);
  const whole = ISSUE_SIZES && ALL_PARTS.every((part) => ONLY.has(part));
  return join(BENCH_DIR, 'results', whole ? 'latest.json' : 'partial.json');
}

async function cleanUp() {
  for (const child of [...children]) await child.stop('SIGTERM', 5000).catch(() => undefined);
  await deleteKeys(REDIS, `${PREFIX}:*`).catch(() => undefined);
  if (postgresUrl)
    await dropBenchDatabase(RUN_ID).catch((error) => log(`could not drop the database: ${error.message}`));
  if (!KEEP) rmSync(WORK, { recursive: true, force: true });
}

// Ctrl-C: the children get the signal too; the keys and the work directory still go.
process.once('SIGINT', () => {
  log('interrupted: cleaning up');
  cleanUp().finally(() => process.exit(130));
});

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  process.stderr.write(`\nbenchmark failed: ${error.stack ?? error.message}\n`);
} finally {
  await cleanUp();
}
process.exit(failed ? 1 : 0);
