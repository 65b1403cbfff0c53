import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, hasRedisServerBinary, redisAnswers } from '../support/redis-server';
import { ServiceProcess, waitFor } from '../support/service-process';
import { ADMIN_PASSWORD, ADMIN_USERNAME } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { sleep } from '../support/time';

/** Where each part leaves the figures of its last run (one JSON file per part); docs/reliability.md reports them. */
export const RESULTS_DIR = join(process.cwd(), 'test', 'chaos', 'results');

/**
 * Writes the part's figures to test/chaos/results/<part>.json (formatted as the repository's Prettier wants it, so
 * `npm run lint` passes with the results committed) and prints them.
 */
export async function recordFigures(part: string, figures: Record<string, unknown>): Promise<void> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const record = {
    part,
    finished_at: new Date().toISOString(),
    database: process.env.DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite',
    ...figures,
  };
  const file = join(RESULTS_DIR, `${part}.json`);
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(JSON.stringify(record), { ...options, filepath: file }));
  console.log(`chaos ${part}: ${JSON.stringify(record)}`);
}

/**
 * A private redis-server on a free loopback port that keeps what it acknowledged (AOF, fsync on every write), so
 * killing it and starting it again is an outage, not a loss of the queue: the service is what is under test, not a
 * Redis configured to forget.
 */
export class DurableRedis {
  private child?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'nagare-chaos-redis-'));

  private constructor(readonly port: number) {}

  static async start(): Promise<DurableRedis> {
    if (!hasRedisServerBinary()) {
      throw new Error("redis-server is not installed: `apt-get install redis-server` (or your distribution's package)");
    }
    const server = new DurableRedis(await freePort());
    await server.resume();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async resume(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--dir', this.dir];
    args.push('--appendonly', 'yes', '--appendfsync', 'always');
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (await redisAnswers(this.url, 200)) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not answer on port ${this.port}`);
  }

  /** SIGKILL: to its clients, a crash or a lost network. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    this.child = undefined;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * What the service processes of one part share: a private Redis, one database, one queue prefix and JWT secret.
 * Each process gets its own directory (logs/system.log) and port.
 */
export class Cluster {
  readonly processes: ServiceProcess[] = [];
  private readonly dirs: string[] = [];
  private readonly root = mkdtempSync(join(tmpdir(), 'nagare-chaos-'));
  private database?: TestDatabase;
  readonly prefix = `nagare-chaos:${randomBytes(4).toString('hex')}`;
  readonly jwtSecret = randomBytes(32).toString('hex');

  constructor(
    readonly redisUrl: string,
    private readonly common: Record<string, string> = {},
  ) {}

  async init(): Promise<this> {
    this.database = await createTestDatabase(this.root);
    return this;
  }

  get databaseKind(): 'sqlite' | 'postgres' {
    return this.database!.kind;
  }

  get databaseUrl(): string {
    return this.database!.url;
  }

  /** The environment of one process: nothing inherited from the test runner (PATH aside). */
  async envFor(role: 'api' | 'worker' | 'all', extra: Record<string, string> = {}): Promise<Record<string, string>> {
    const dir = mkdtempSync(join(this.root, `${role}-`));
    this.dirs.push(dir);
    return {
      REDIS_URL: this.redisUrl,
      DATABASE_URL: this.database!.url,
      DATA_DIR: join(dir, 'data'),
      LOG_DIR: join(dir, 'logs'),
      LOG_LEVEL: 'info',
      JWT_SECRET: this.jwtSecret,
      NAGARE_ADMIN_USERNAME: ADMIN_USERNAME,
      NAGARE_ADMIN_PASSWORD: ADMIN_PASSWORD,
      QUEUE_PREFIX: this.prefix,
      TASK_BACKOFF_MS: '50',
      // The suites queue hundreds of tasks a minute as one user, past the per-user default.
      QUOTA_ENQUEUE_PER_MINUTE: '1000000',
      NAGARE_ROLE: role,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      // Off: the suites run several workers on this machine, which would all want the default 8081.
      WORKER_PROBE_PORT: '0',
      ...this.common,
      ...extra,
    };
  }

  /** A process that serves HTTP (role api or all), once /health/live answers. */
  async startServer(role: 'api' | 'all', extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const env = await this.envFor(role, extra);
    const service = await ServiceProcess.start({ env, cwd: join(env.LOG_DIR, '..') }, 60_000);
    this.processes.push(service);
    return service;
  }

  /** A worker process, once its log says it takes tasks of the type. */
  async startWorker(extra: Record<string, string> = {}, type = 'generate_alerts'): Promise<ServiceProcess> {
    const worker = this.spawnWorker(extra);
    return this.untilTaking(await worker, type);
  }

  async spawnWorker(extra: Record<string, string> = {}): Promise<ServiceProcess> {
    const env = await this.envFor('worker', extra);
    const worker = ServiceProcess.spawn({ env, cwd: join(env.LOG_DIR, '..') });
    this.processes.push(worker);
    return worker;
  }

  async untilTaking(worker: ServiceProcess, type = 'generate_alerts'): Promise<ServiceProcess> {
    await waitFor(
      'the worker to take tasks',
      () => {
        if (worker.status) throw new Error(`the worker exited: ${JSON.stringify(worker.status)}\n${worker.stderr}`);
        const taking = worker
          .systemLog()
          .split('\n')
          .some((line) => line.includes('"msg":"worker takes tasks"') && line.includes(`"${type}":`));
        return taking ? true : undefined;
      },
      60_000,
    );
    return worker;
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((service) => service.stop('SIGKILL').catch(() => undefined)));
    await this.database?.drop();
    // KEEP_DIRS=1 keeps each process's directory (its logs/system.log) to look into a failure.
    if (process.env.KEEP_DIRS) console.log(`chaos: process directories kept under ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}

/** A minimal JSON client for a service process. */
export class Client {
  constructor(
    readonly baseUrl: string,
    public token = '',
  ) {}

  async login(username = ADMIN_USERNAME, password = ADMIN_PASSWORD): Promise<string> {
    const res = await this.call('POST', '/api/v1/auth/login', { username, password }, false);
    if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.token = (res.body as { token: string }).token;
    return this.token;
  }

  async call(
    method: string,
    path: string,
    body?: unknown,
    auth = true,
    timeoutMs = 10_000,
  ): Promise<{ status: number; body: unknown; text: string }> {
    const headers: Record<string, string> = {};
    if (auth && this.token) headers.Authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, text };
  }

  get = (path: string) => this.call('GET', path);
  post = (path: string, body?: unknown) => this.call('POST', path, body);
}

export interface TaskState {
  task_id: string;
  state: string;
  attempts_made: number;
}

/** Polls every task until each is completed or dead (or time runs out); returns the last state of each. */
export async function settle(client: Client, taskIds: string[], timeoutMs: number): Promise<Map<string, TaskState>> {
  const last = new Map<string, TaskState>();
  const pending = new Set(taskIds);
  const deadline = Date.now() + timeoutMs;
  while (pending.size > 0 && Date.now() < deadline) {
    for (const taskId of [...pending]) {
      const res = await client.get(`/api/v1/tasks/${encodeURIComponent(taskId)}`).catch(() => undefined);
      if (res?.status !== 200) continue;
      const task = res.body as TaskState;
      last.set(taskId, task);
      if (task.state === 'completed' || task.state === 'dead') pending.delete(taskId);
    }
    if (pending.size > 0) await sleep(500);
  }
  return last;
}

/** The JSON lines of every system.log given (a torn last line, as SIGKILL leaves it, is skipped). */
export function logEntries(...logs: string[]): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  for (const text of logs) {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        entries.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // torn by a kill
      }
    }
  }
  return entries;
}

/** Reads a file if it exists. */
export function readIfExists(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
