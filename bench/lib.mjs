// Helpers shared by the benchmark runner and its child processes.
/* global fetch, AbortSignal */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';

export { sleep };

export const ROOT = process.cwd();
export const MAIN_JS = join(ROOT, 'dist', 'main.js');
export const BENCH_DIR = join(ROOT, 'bench');

/** Bull's job options as TaskProducer.jobOptions() builds them from the default configuration. */
export const PRODUCER_JOB_OPTIONS = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 24 * 3600, count: 10_000 },
};

export function redisUrl() {
  return process.env.REDIS_URL || 'redis://127.0.0.1:6379';
}

/** Percentile (0-100) of a list of numbers, nearest rank. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function round(value, digits = 1) {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Peak resident set (VmHWM) and current RSS of a process in MB, from /proc (Linux only; null elsewhere). */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { peakRssMb: round(kb('VmHWM') / 1024), rssMb: round(kb('VmRSS') / 1024) };
  } catch {
    return { peakRssMb: null, rssMb: null };
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; null where there is no /proc. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields after the command name (which may hold spaces), from field 3 on: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** A Redis that answers within 2 s, or an error saying how to get one. */
export async function checkRedis(url) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(
      `No Redis answers at ${url.replace(/\/\/[^@]*@/, '//***@')} (${error.message}). Start one ` +
        '(docker compose up -d redis, or apt-get install redis-server) or point REDIS_URL at it.',
    );
  } finally {
    redis.disconnect();
  }
}

/** Deletes every key under `prefix:`. */
export async function deleteKeys(url, pattern) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

/**
 * A child node process with its stderr (and, for `stdoutToFile`, its stdout) in `logFile`. Children talk to the
 * runner by printing `@bench {json}` lines on stdout; `message()` reads the next one.
 */
export class Child {
  constructor(name, args, { env = {}, logFile, nodeArgs = [], stdoutToFile = false } = {}) {
    this.name = name;
    this.logFile = logFile;
    // Where this child's output starts: a file a child of the same name wrote before is appended to, and its lines
    // (an earlier worker's 'worker started', say) must not count for this one.
    this.logStart = logFile && existsSync(logFile) ? statSync(logFile).size : 0;
    const out = logFile ? openSync(logFile, 'a') : 'ignore';
    this.proc = spawn(process.execPath, [...nodeArgs, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['ignore', stdoutToFile ? out : 'pipe', out],
    });
    this.messages = [];
    this.waiters = [];
    this.exitStatus = undefined;
    let buffer = '';
    this.proc.stdout?.setEncoding('utf8').on('data', (chunk) => {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.startsWith('@bench ')) this.messages.push(JSON.parse(line.slice('@bench '.length)));
      }
      this.wake();
    });
    this.exited = new Promise((resolve) => this.proc.once('close', (code, signal) => resolve({ code, signal })));
    this.exited.then((status) => {
      this.exitStatus = status;
      this.wake();
    });
  }

  get pid() {
    return this.proc.pid;
  }

  wake() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  /** The next `@bench {...}` message the child prints. */
  async message(timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.messages.length > 0) return this.messages.shift();
      if (this.exitStatus) throw new Error(`${this.name} exited (${JSON.stringify(this.exitStatus)})${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} said nothing within ${timeoutMs} ms${this.tail()}`);
      await Promise.race([new Promise((resolve) => this.waiters.push(resolve)), sleep(200)]);
    }
  }

  /** What this child has written to its log file so far. */
  log() {
    if (!this.logFile || !existsSync(this.logFile)) return '';
    return readFileSync(this.logFile).subarray(this.logStart).toString('utf8');
  }

  tail() {
    return this.logFile ? `\n--- ${this.logFile} (end)\n${this.log().slice(-3000)}` : '';
  }

  async stop(signal = 'SIGTERM', timeoutMs = 15_000) {
    if (this.exitStatus) return this.exitStatus;
    this.proc.kill(signal);
    const status = await Promise.race([this.exited, sleep(timeoutMs).then(() => null)]);
    if (status) return status;
    this.proc.kill('SIGKILL');
    return this.exited;
  }
}

/** The built service (dist/main.js) as its own process, everything it prints in `logFile`. */
export class Service extends Child {
  constructor(name, env, { logFile, nodeArgs = [] }) {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run npm run build first`);
    super(name, [MAIN_JS], { env, logFile, nodeArgs, stdoutToFile: true });
    this.port = env.NAGARE_ROLE === 'worker' ? 0 : Number(env.PORT);
  }

  url(path) {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Waits until /health/live answers 200 (API roles) or the worker says it started. */
  async ready(timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.exitStatus) {
      if (this.port) {
        try {
          const res = await fetch(this.url('/health/live'), { signal: AbortSignal.timeout(1000) });
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
      } else if (this.log().includes('worker started')) {
        return;
      }
      await sleep(100);
    }
    throw new Error(`${this.name} did not come up${this.tail()}`);
  }
}

/** POSTs or GETs JSON; returns {status, body}. */
export async function http(method, url, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

export function expectStatus(what, response, status) {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body;
}

/** Prints a message for the runner to read (see Child.message). */
export function tell(message) {
  process.stdout.write(`@bench ${JSON.stringify(message)}\n`);
}

/** Rows as a plain-text table: each column as wide as its widest cell, a rule under the first row. */
export function textTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length)));
  return rows
    .map((row, index) => {
      const line = row.map((cell, column) => String(cell ?? '').padEnd(widths[column])).join('  ');
      return index === 0 ? `${line}\n${widths.map((width) => '-'.repeat(width)).join('  ')}` : line;
    })
    .join('\n');
}

/** The targets as MET / MISSED lines; a run at other sizes than the issue's (CI's smoke run) says they do not count. */
export function targetsTable(targets, atIssueSizes) {
  const caveat = atIssueSizes ? '' : " (not at the issue's sizes: these verdicts do not count)";
  const verdicts = targets.map((t) => [t.met ? 'MET' : 'MISSED', t.target, t.measured]);
  return `Targets${caveat}\n${textTable([['', 'target', 'measured'], ...verdicts])}`;
}
