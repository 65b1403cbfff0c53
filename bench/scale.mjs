// The scale benchmarks (issue #18, 5–8): `npm run bench:scale` builds, then runs this against dist/main.js.
// A million items (20,000 hosts × 50) synced from a generated Zabbix fixture, on SQLite and on PostgreSQL, next to
// a 20,000-item sync in the same process; API latency during the big sync; a re-sync with nothing changed.
// See docs/benchmarks.md ("Scale") for the method.
/* global fetch, AbortSignal */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import pg from 'pg';
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
  redisUrl,
  round,
  Service,
  sleep,
  targetsTable,
  textTable,
} from './lib.mjs';

const env = process.env;
const SETTINGS = {
  hosts: Number(env.BENCH_SCALE_HOSTS || 20_000),
  itemsPerHost: Number(env.BENCH_SCALE_ITEMS || 50),
  /** The reference sync: 20,000 items at the same items per host. */
  referenceHosts: Number(env.BENCH_SCALE_REFERENCE_HOSTS || 400),
  referenceRuns: 3,
  databases: (env.BENCH_SCALE_DATABASES || 'sqlite,postgres').split(',').map((name) => name.trim()),
  zabbix: env.BENCH_SCALE_ZABBIX || '7.0',
  idleProbeSeconds: 3,
  probeGapMs: 10,
};
const POSTGRES_ADMIN_URL = env.BENCH_SCALE_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const KEEP = env.BENCH_KEEP === '1';
/** BENCH_PROFILE_DIR=<dir> runs the services under --cpu-prof and leaves the profiles there. */
const PROFILE_DIR = env.BENCH_PROFILE_DIR;
/** How long one sync may take before the run fails (BENCH_SCALE_TIMEOUT_S, default 15 minutes: a busy machine). */
const SYNC_TIMEOUT_MS = Number(env.BENCH_SCALE_TIMEOUT_S || 900) * 1000;
const PATHS = ['/health/live', '/api/v1/queue/stats'];

const REDIS = redisUrl();
const RUN_ID = randomBytes(4).toString('hex');
const PREFIX = `nagare:bench:${RUN_ID}`;
const ADMIN_PASSWORD = `bench-${randomBytes(8).toString('hex')}`;
const WORK = mkdtempSync(join(tmpdir(), 'nagare-scale-'));
const children = new Set();
const databasesMade = [];
const ISSUE_SIZES = SETTINGS.hosts === 20_000 && SETTINGS.itemsPerHost === 50 && SETTINGS.referenceHosts === 400;
const results = { kind: 'scale', settings: { ...SETTINGS, issue_sizes: ISSUE_SIZES }, databases: {} };

function log(message) {
  process.stderr.write(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function load() {
  return loadavg().map((value) => round(value, 2));
}

function track(child) {
  children.add(child);
  child.exited.then(() => children.delete(child));
  return child;
}

/** A database of its own for the run: a SQLite file, or a new PostgreSQL database dropped at the end. */
async function databaseUrl(kind) {
  if (kind === 'sqlite') return `sqlite:${join(WORK, 'nagare.sqlite')}`;
  if (kind !== 'postgres') throw new Error(`BENCH_SCALE_DATABASES: unknown database ${kind}`);
  const name = `nagare_scale_${RUN_ID}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  databasesMade.push(name);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabases() {
  if (databasesMade.length === 0) return;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  try {
    for (const name of databasesMade.splice(0)) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function startService(name, databaseUrl) {
  const port = await freePort();
  const serviceEnv = {
    NODE_ENV: 'development',
    PORT: String(port),
    HOST: '127.0.0.1',
    REDIS_URL: REDIS,
    DATABASE_URL: databaseUrl,
    DATA_DIR: join(WORK, `data-${name}`),
    LOG_DIR: join(WORK, `logs-${name}`),
    JWT_SECRET: `bench-secret-${RUN_ID}-0123456789abcdef0123456789`,
    NAGARE_ROLE: 'all',
    QUEUE_PREFIX: PREFIX,
    NAGARE_ADMIN_USERNAME: 'admin',
    NAGARE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOG_LEVEL: env.BENCH_LOG_LEVEL || 'info',
    WORKER_PROBE_PORT: '0',
  };
  const nodeArgs = [
    ...(env.BENCH_NODE_ARGS ? env.BENCH_NODE_ARGS.split(' ').filter(Boolean) : []),
    ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : []),
  ];
  const service = track(new Service(name, serviceEnv, { logFile: join(WORK, `${name}.out`), nodeArgs }));
  await service.ready();
  return service;
}

/**
 * One loop per path, a request then a pause of probeGapMs, until `stop()`: each path's latencies. About a hundred
 * requests a second in all, the same during every sync measured, so the syncs compared bear the same load.
 */
async function probe(service, token, stop) {
  const latencies = Object.fromEntries(PATHS.map((path) => [path, []]));
  const failures = Object.fromEntries(PATHS.map((path) => [path, 0]));
  await Promise.all(
    PATHS.map(async (path) => {
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
        await sleep(SETTINGS.probeGapMs);
      }
    }),
  );
  return Object.fromEntries(
    PATHS.map((path) => [
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

/** Probes for `seconds` with nothing else running. */
async function probeFor(service, token, seconds) {
  const until = performance.now() + seconds * 1000;
  return probe(service, token, () => performance.now() > until);
}

/**
 * Queues pull_hosts of the monitor and polls the task until it ends, probing the API meanwhile. Wall time is the
 * task's started_at → finished_at; the service's CPU time is taken over the same span from /proc.
 */
async function runSync(service, token, monitorId) {
  const cpuBefore = cpuSecondsOf(service.pid);
  const loadBefore = load();
  const posted = performance.now();
  const queued = expectStatus(
    'pull-async',
    await http('POST', service.url(`/api/v1/monitors/${monitorId}/hosts/pull-async`), { token }),
    202,
  );
  let ended = false;
  const probing = probe(service, token, () => ended);
  let task;
  try {
    for (;;) {
      task = expectStatus('task', await http('GET', service.url(`/api/v1/tasks/${queued.task_id}`), { token }), 200);
      if (task.state === 'completed' || task.state === 'failed' || task.state === 'dead') break;
      if (performance.now() - posted > SYNC_TIMEOUT_MS) throw new Error(`the sync did not end in time: ${task.state}`);
      await sleep(100);
    }
  } finally {
    ended = true;
  }
  const probes = await probing;
  if (task.state !== 'completed') throw new Error(`the sync task ended ${task.state}: ${JSON.stringify(task.error)}`);
  const cpuAfter = cpuSecondsOf(service.pid);
  const wallMs = Date.parse(task.finished_at) - Date.parse(task.started_at);
  const items = task.result.items;
  return {
    wall_ms: wallMs,
    hosts: task.result.total,
    items: items.total,
    us_per_item: round((wallMs * 1000) / items.total, 2),
    service_cpu_s: cpuBefore === null || cpuAfter === null ? null : round(cpuAfter - cpuBefore, 2),
    result: { hosts: omitTotal(task.result), items: omitTotal(items) },
    probes,
    load: { before: loadBefore, after: load() },
  };
}

function omitTotal(counts) {
  const { added, updated, unchanged, vanished, failed, total, unsupported } = counts;
  return { added, updated, unchanged, vanished, failed, total, ...(unsupported === undefined ? {} : { unsupported }) };
}

/** Benchmarks 5, 7 and 8 on one database: reference syncs, the million-item sync, then its re-sync. */
async function onDatabase(kind, zabbix) {
  const service = await startService(`all-${kind}`, await databaseUrl(kind));
  const login = expectStatus(
    'login',
    await http('POST', service.url('/api/v1/auth/login'), { body: { username: 'admin', password: ADMIN_PASSWORD } }),
    200,
  );
  const token = login.token;
  const atStart = memoryOf(service.pid);
  const createMonitor = async (name, url) =>
    expectStatus(
      'create monitor',
      await http('POST', service.url('/api/v1/monitors'), {
        token,
        body: { name, url, type: 'zabbix', username: zabbix.username, password: zabbix.password },
      }),
      201,
    );
  const [smallUrl, bigUrl] = zabbix.urls;

  log(`${kind}: API probes at idle (${SETTINGS.idleProbeSeconds} s, after a 0.5 s warm-up)`);
  await probeFor(service, token, 0.5);
  const idle = await probeFor(service, token, SETTINGS.idleProbeSeconds);

  const referenceItems = SETTINGS.referenceHosts * SETTINGS.itemsPerHost;
  log(`${kind}: reference, ${SETTINGS.referenceRuns} first syncs of ${referenceItems} items (a monitor each)`);
  const references = [];
  for (let run = 0; run < SETTINGS.referenceRuns; run++) {
    references.push(await runSync(service, token, (await createMonitor(`reference-${run}`, smallUrl)).id));
  }
  const reference = references.toSorted((a, b) => a.us_per_item - b.us_per_item)[SETTINGS.referenceRuns >> 1];

  const big = await createMonitor('million', bigUrl);
  log(`${kind}: first sync of ${SETTINGS.hosts} hosts × ${SETTINGS.itemsPerHost} items, probing the API meanwhile`);
  const first = await runSync(service, token, big.id);
  const memoryAfterFirst = memoryOf(service.pid);
  log(`${kind}: ${first.wall_ms} ms, peak RSS ${memoryAfterFirst.peakRssMb} MB; re-sync with nothing changed`);
  const resync = await runSync(service, token, big.id);
  const memoryAfterResync = memoryOf(service.pid);
  log(`${kind}: re-sync ${resync.wall_ms} ms`);
  await service.stop();

  return {
    rss_at_start_mb: atStart.rssMb,
    idle_probes: idle,
    reference: { ...reference, runs_us_per_item: references.map((run) => run.us_per_item) },
    first_sync: { ...first, peak_rss_mb: memoryAfterFirst.peakRssMb },
    resync: { ...resync, peak_rss_mb: memoryAfterResync.peakRssMb },
    per_item_ratio: round(first.us_per_item / reference.us_per_item, 2),
    resync_ratio: round(resync.wall_ms / first.wall_ms, 2),
  };
}

function worstP99(probes) {
  return Math.max(...Object.values(probes).map((probe) => probe.p99));
}

function targets() {
  const list = [];
  const add = (target, met, measured) => list.push({ target, met, measured });
  for (const [kind, run] of Object.entries(results.databases)) {
    const first = run.first_sync;
    const failures = Object.values(first.probes).reduce((sum, probe) => sum + probe.failures, 0);
    add(
      `5 (${kind}): million-item sync ≤ 1.2 × the 20,000-item sync per item, peak RSS ≤ 256 MB`,
      run.per_item_ratio <= 1.2 && first.peak_rss_mb !== null && first.peak_rss_mb <= 256,
      `${run.per_item_ratio} × (${first.us_per_item} against ${run.reference.us_per_item} µs/item), ${first.peak_rss_mb} MB`,
    );
    add(
      `7 (${kind}): p99 of ${PATHS.join(' and ')} ≤ 50 ms during it`,
      worstP99(first.probes) <= 50 && failures === 0,
      `worst p99 ${worstP99(first.probes)} ms (idle ${worstP99(run.idle_probes)} ms), ${failures} failed`,
    );
    add(
      `8 (${kind}): re-sync with nothing changed ≤ 0.3 × the first sync`,
      run.resync_ratio <= 0.3 && run.resync.result.items.unchanged === run.resync.items,
      `${run.resync_ratio} × (${run.resync.wall_ms} against ${first.wall_ms} ms), ` +
        `${run.resync.result.items.unchanged} of ${run.resync.items} items unchanged`,
    );
  }
  const { sqlite, postgres } = results.databases;
  if (sqlite && postgres) {
    results.postgres_vs_sqlite = round(postgres.first_sync.wall_ms / sqlite.first_sync.wall_ms, 2);
    add(
      '6: million-item sync on PostgreSQL ≤ 2 × SQLite',
      results.postgres_vs_sqlite <= 2,
      `${results.postgres_vs_sqlite} × (${postgres.first_sync.wall_ms} against ${sqlite.first_sync.wall_ms} ms)`,
    );
  }
  return list;
}

function report() {
  const rows = [
    ['database', 'sync', 'wall ms', 'µs/item', 'service CPU s', 'peak RSS MB', 'p99 ms live/stats', 'load'],
  ];
  for (const [kind, run] of Object.entries(results.databases)) {
    const line = (name, sync) =>
      rows.push([
        kind,
        name,
        sync.wall_ms,
        sync.us_per_item,
        sync.service_cpu_s,
        sync.peak_rss_mb ?? '',
        PATHS.map((path) => sync.probes[path].p99).join(' / '),
        sync.load.after[0],
      ]);
    line(
      `reference ${run.reference.items} items (median of ${run.reference.runs_us_per_item.join(', ')})`,
      run.reference,
    );
    line(`first sync ${run.first_sync.items} items`, run.first_sync);
    line('re-sync, nothing changed', run.resync);
  }
  process.stdout.write(`\n${textTable(rows)}\n\n${targetsTable(results.targets, ISSUE_SIZES)}\n`);
}

async function main() {
  const started = performance.now();
  await checkRedis(REDIS);
  results.started_at = new Date().toISOString();
  results.machine = {
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    memory_gb: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    load_at_start: load(),
  };
  log(`run ${RUN_ID}: queue prefix ${PREFIX}, work dir ${WORK}`);
  const sizes = [`${SETTINGS.referenceHosts}x${SETTINGS.itemsPerHost}`, `${SETTINGS.hosts}x${SETTINGS.itemsPerHost}`];
  const fixture = track(
    new Child('scale-fixture', [join(BENCH_DIR, 'scale-fixture.mjs'), SETTINGS.zabbix, ...sizes], {
      logFile: join(WORK, 'scale-fixture.out'),
    }),
  );
  const zabbix = await fixture.message();
  results.zabbix_version = zabbix.version;
  for (const kind of SETTINGS.databases) {
    results.databases[kind] = await onDatabase(kind, zabbix);
    // Each database's figures are kept as soon as they are in, so a later failure does not lose them.
    writeResults({ ...results, incomplete: true });
  }
  await fixture.stop();
  results.targets = targets();
  results.machine.load_at_end = load();
  results.duration_s = round((performance.now() - started) / 1000, 0);
  report();
  const file = writeResults(results);
  log(`done in ${results.duration_s} s; wrote ${relative(process.cwd(), file)}`);
}

/**
 * BENCH_OUT=<file> writes the results there (CI's smoke run). Without it, a run at the issue's sizes on both databases
 * replaces the committed bench/results/scale.json, and any other run writes bench/results/scale-partial.json instead.
 */
function writeResults(figures) {
  const whole = ISSUE_SIZES && ['sqlite', 'postgres'].every((kind) => SETTINGS.databases.includes(kind));
  const file = resolve(env.BENCH_OUT || join(BENCH_DIR, 'results', whole ? 'scale.json' : 'scale-partial.json'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  return file;
}

async function cleanUp() {
  for (const child of [...children]) await child.stop('SIGTERM', 5000).catch(() => undefined);
  await deleteKeys(REDIS, `${PREFIX}:*`).catch(() => undefined);
  if (KEEP) {
    log(`kept ${WORK}${databasesMade.length > 0 ? ` and the PostgreSQL database ${databasesMade.join(', ')}` : ''}`);
    return;
  }
  await dropDatabases().catch((error) => log(`could not drop the bench's PostgreSQL database: ${error.message}`));
  rmSync(WORK, { recursive: true, force: true });
}

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
