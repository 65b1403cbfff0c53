import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './support/redis-server';
import { acceptsConnections, ServiceProcess, waitFor } from './support/service-process';
import { ADMIN_PASSWORD, ADMIN_USERNAME, testEnv } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/** The issue runs the real `node dist/main.js`: these tests hold it to what an operator sees. */
/** "Within a few seconds" for a clean shutdown. */
const EXIT_DEADLINE_MS = 5000;
/**
 * A refused start loads the modules before it validates (about 2 s here); the bound is loose so a busy machine
 * passes, while a process that waits on Redis or the database instead of refusing still fails.
 */
const REFUSAL_DEADLINE_MS = 15_000;
const GENERATED_PASSWORD = /generated password: (\S+)/g;

// Booting real processes takes seconds on a busy machine; the e2e project's testTimeout in jest.config.js does not
// reach the tests (Jest reads testTimeout only from the global config), so this file sets its own.
jest.setTimeout(60_000);

interface Workspace {
  dir: string;
  database: TestDatabase;
  env: Record<string, string>;
}

const workspaces: Workspace[] = [];
const services: ServiceProcess[] = [];

/**
 * A temp working directory, a fresh database (SQLite, or PostgreSQL when DATABASE_URL says so), a free port,
 * the test Redis and a unique queue prefix: the environment of one service, minus the variables in `without`.
 */
async function workspace(overrides: Record<string, string> = {}, without: string[] = []): Promise<Workspace> {
  const dir = mkdtempSync(join(tmpdir(), 'nagare-process-'));
  const database = await createTestDatabase(dir);
  const env = testEnv(dir, database, {
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    QUEUE_PREFIX: `nagare-process:${randomBytes(4).toString('hex')}`,
    ...overrides,
  });
  for (const name of without) delete env[name];
  const space = { dir, database, env };
  workspaces.push(space);
  return space;
}

function spawnIn(space: Workspace): ServiceProcess {
  const service = ServiceProcess.spawn({ env: space.env, cwd: space.dir });
  services.push(service);
  return service;
}

async function startIn(space: Workspace): Promise<ServiceProcess> {
  const service = await ServiceProcess.start({ env: space.env, cwd: space.dir });
  services.push(service);
  return service;
}

/** Stops every service still running, then drops the databases and directories. */
async function cleanUp(): Promise<void> {
  await Promise.all(services.splice(0).map((service) => service.stop('SIGKILL')));
  for (const space of workspaces.splice(0)) {
    await space.database.drop();
    rmSync(space.dir, { recursive: true, force: true });
  }
}

async function login(service: ServiceProcess, username: string, password: string): Promise<Response> {
  return fetch(service.url('/api/v1/auth/login'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
}

async function tokenFor(service: ServiceProcess, username: string, password: string): Promise<string> {
  const res = await login(service, username, password);
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** Polls /health/ready until it answers 200 (Redis may still be connecting) and returns the last status. */
async function readyStatus(service: ServiceProcess): Promise<number> {
  const deadline = Date.now() + 5000;
  let status = (await fetch(service.url('/health/ready'))).status;
  while (status !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = (await fetch(service.url('/health/ready'))).status;
  }
  return status;
}

/** The complete lines of system.log, parsed; a last line still being written is left for the next read. */
function logLines(service: ServiceProcess): Record<string, unknown>[] {
  return service
    .systemLog()
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Waits for the system.log line of the request with this id. */
function requestLogLine(service: ServiceProcess, id: string): Promise<Record<string, unknown>> {
  return waitFor(`the log line of request ${id}`, () =>
    logLines(service).find((line) => (line.req as { id?: string } | undefined)?.id === id),
  );
}

describe('service process (e2e)', () => {
  afterAll(cleanUp);

  describe('configured with an admin password', () => {
    let space: Workspace;
    let service: ServiceProcess;

    beforeAll(async () => {
      space = await workspace();
      service = await startIn(space);
    });

    it('answers /health/live and /health/ready with 200', async () => {
      expect((await fetch(service.url('/health/live'))).status).toBe(200);
      expect(await readyStatus(service)).toBe(200);
    });

    it('logs the configured admin in; /api/v1/auth/me answers 200 with the token and 401 without', async () => {
      const token = await tokenFor(service, ADMIN_USERNAME, ADMIN_PASSWORD);

      const me = await fetch(service.url('/api/v1/auth/me'), { headers: { Authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ username: ADMIN_USERNAME, privileges: 3 });
      expect((await fetch(service.url('/api/v1/auth/me'))).status).toBe(401);
    });

    it('writes system.log as JSON lines that each carry level, time and msg', async () => {
      const listening = await waitFor('the listening line in system.log', () =>
        logLines(service).find((line) => String(line.msg).startsWith('Nagare listening')),
      );
      expect(listening).toMatchObject({ level: 'info', database: space.database.kind, role: 'all' });
      const lines = logLines(service);
      for (const line of lines) {
        expect(line).toEqual(
          expect.objectContaining({ level: expect.any(String), time: expect.any(String), msg: expect.any(String) }),
        );
        expect(Number.isNaN(Date.parse(line.time as string))).toBe(false);
      }
    });

    it('echoes a caller’s X-Request-ID and logs the request under that id', async () => {
      const res = await fetch(service.url('/api/v1/auth/me'), { headers: { 'X-Request-ID': 'abc-123' } });
      expect(res.headers.get('x-request-id')).toBe('abc-123');

      const line = await requestLogLine(service, 'abc-123');
      expect(line.req).toMatchObject({ method: 'GET', url: '/api/v1/auth/me' });
      expect(line.res).toMatchObject({ status: 401 });
    });

    it('generates a request id when the caller sends none, and logs the request under it', async () => {
      const first = await fetch(service.url('/api/v1/auth/me'));
      const second = await fetch(service.url('/api/v1/auth/me'));
      const id = first.headers.get('x-request-id');

      expect(id).toMatch(/^[A-Za-z0-9._:-]{8,}$/);
      expect(second.headers.get('x-request-id')).not.toBe(id);
      expect((await requestLogLine(service, id as string)).req).toMatchObject({ url: '/api/v1/auth/me' });
    });
  });

  describe('with no admin password and no JWT secret configured', () => {
    let space: Workspace;
    let first: ServiceProcess;

    beforeAll(async () => {
      space = await workspace({}, ['NAGARE_ADMIN_PASSWORD', 'JWT_SECRET']);
      first = await startIn(space);
    });

    it('prints the generated password once on stdout, never into system.log, and it logs in', async () => {
      const printed = [...first.stdout.matchAll(GENERATED_PASSWORD)].map((match) => match[1]);
      expect(printed).toHaveLength(1);
      const [password] = printed;

      await tokenFor(first, ADMIN_USERNAME, password);
      const log = await waitFor('the superadmin line in system.log', () => {
        const text = first.systemLog();
        return text.includes('created the initial superadmin') ? text : undefined;
      });
      expect(log).not.toContain(password);
      expect(first.stdout.split(password)).toHaveLength(2);
    });

    it('prints a first start in at most a dozen info lines and the password box, naming the health routes it serves', async () => {
      // The last line of a start (the schedule is set once the app has booted); Nest's module and route listing
      // (about 110 lines, naming the probes /api/v1/health) is at debug.
      await waitFor('the scheduled sync line on stdout', () =>
        first.stdout.includes('scheduled sync is off') ? true : undefined,
      );
      const lines = first.stdout.trimEnd().split('\n');
      const box = lines.filter((line) => !line.startsWith('{'));
      const json = lines
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);

      expect(box.join('\n')).toMatch(GENERATED_PASSWORD);
      expect(box.length).toBeLessThanOrEqual(4);
      expect(json.length).toBeLessThanOrEqual(12);
      expect(json.every((line) => line.level === 'info')).toBe(true);
      expect(json.map((line) => line.msg)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^Nagare \d+\.\d+\.\d+ starting as all$/), 'worker takes tasks']),
      );
      expect(first.stdout).not.toContain('/api/v1/health');
      const listening = json.find((line) => String(line.msg).startsWith('Nagare listening'));
      expect(listening?.health).toEqual(['/health/live', '/health/ready']);
      for (const path of listening?.health as string[]) expect((await fetch(first.url(path))).status).toBe(200);
    });

    it('prints no password on a second start against the same database, and keeps tokens and password valid', async () => {
      const password = [...first.stdout.matchAll(GENERATED_PASSWORD)][0]?.[1] as string;
      const token = await tokenFor(first, ADMIN_USERNAME, password);
      expect(await first.stop()).toEqual({ code: 0, signal: null });

      const second = await startIn(space);
      expect(second.stdout).not.toMatch(GENERATED_PASSWORD);
      expect(second.stdout).not.toContain('created the initial superadmin');
      await tokenFor(second, ADMIN_USERNAME, password);
      const me = await fetch(second.url('/api/v1/auth/me'), { headers: { Authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
    });
  });

  describe('refusing to start', () => {
    it('exits non-zero naming JWT_SECRET, without ever listening, when NODE_ENV=production has no JWT_SECRET', async () => {
      const space = await workspace({ NODE_ENV: 'production' }, ['JWT_SECRET']);
      const started = Date.now();
      const service = spawnIn(space);

      expect(await service.waitUntilLive(REFUSAL_DEADLINE_MS)).toBe('exited');
      expect(Date.now() - started).toBeLessThan(REFUSAL_DEADLINE_MS);
      expect(service.status?.code).not.toBe(0);
      expect(service.status?.code).not.toBeNull();
      expect(service.stderr).toContain('JWT_SECRET');
      expect(service.stdout).not.toContain('Nagare listening');
      expect(await acceptsConnections(service.port)).toBe(false);
    });

    it('exits 1 naming METRICS_TOKEN, without ever listening, when NODE_ENV=production would serve /metrics to anyone', async () => {
      const service = spawnIn(await workspace({ NODE_ENV: 'production' }, ['METRICS_TOKEN', 'METRICS_PUBLIC']));

      expect(await service.waitForExit(REFUSAL_DEADLINE_MS)).toEqual({ code: 1, signal: null });
      expect(service.stderr).toContain('metrics.token (METRICS_TOKEN) is required when NODE_ENV=production');
      expect(service.stdout).not.toContain('Nagare listening');
      expect(await acceptsConnections(service.port)).toBe(false);
    });

    it('exits 1 after one line per retry naming DATABASE_URL, its password masked, and the reason, when the database is unreachable', async () => {
      const port = await freePort();
      const password = `pw-${randomBytes(6).toString('hex')}`;
      const service = spawnIn(
        await workspace({
          DATABASE_URL: `postgres://nagare:${password}@127.0.0.1:${port}/nagare`,
          DATABASE_RETRIES: '2',
          DATABASE_RETRY_DELAY_MS: '100',
        }),
      );

      expect(await service.waitForExit(REFUSAL_DEADLINE_MS)).toEqual({ code: 1, signal: null });
      const masked = `DATABASE_URL (postgres://nagare:***@127.0.0.1:${port}/nagare)`;
      const retries = service.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.context === 'Database');
      expect(retries.map((line) => [line.level, line.attempt])).toEqual([
        ['warn', 1],
        ['warn', 2],
      ]);
      for (const line of retries) expect(line.msg).toContain(`${masked}: connect ECONNREFUSED`);
      const lastLine = service.stderr.trim().split('\n').at(-1);
      expect(lastLine).toContain(`${masked} after 3 attempts: connect ECONNREFUSED`);
      expect(service.stdout + service.stderr).not.toContain(password);
      expect(service.stdout + service.stderr).not.toMatch(/\n\s+at /);
    });

    it('exits 1 naming PORT when PORT=abc', async () => {
      const service = spawnIn(await workspace({ PORT: 'abc' }));

      expect(await service.waitForExit(REFUSAL_DEADLINE_MS)).toEqual({ code: 1, signal: null });
      expect(service.stderr).toContain('server.port (PORT)');
      expect(service.stderr).not.toMatch(/\n\s+at /);
    });
  });

  describe('log file', () => {
    it('rotates system.log by size into system.log.1..N, keeping N, and still ends it with "Nagare stopped"', async () => {
      const space = await workspace({ LOG_MAX_SIZE: '2kb', LOG_MAX_FILES: '2' });
      const service = await startIn(space);
      for (let i = 0; i < 30; i++)
        await fetch(service.url('/api/v1/auth/me'), { headers: { 'X-Request-ID': `r-${i}` } });
      await waitFor('the last request in system.log', () =>
        service.systemLog().includes('"r-29"') ? true : undefined,
      );
      expect(await service.stop('SIGTERM', EXIT_DEADLINE_MS)).toEqual({ code: 0, signal: null });

      const logDir = space.env.LOG_DIR;
      expect(readdirSync(logDir).sort()).toEqual(['system.log', 'system.log.1', 'system.log.2']);
      for (const file of ['system.log.1', 'system.log.2']) {
        expect(statSync(join(logDir, file)).size).toBeLessThanOrEqual(2048);
      }
      // The newest requests are kept, in order, across the current file and the rotated ones.
      const kept = ['system.log.2', 'system.log.1', 'system.log']
        .flatMap((file) => readFileSync(join(logDir, file), 'utf8').trim().split('\n'))
        .map((line) => JSON.parse(line) as { msg: string; req?: { id: string } });
      const ids = kept.flatMap((line) => (line.req ? [Number(line.req.id.slice(2))] : []));
      expect(ids.at(-1)).toBe(29);
      expect(ids).toEqual(ids.map((_id, i) => 29 - ids.length + 1 + i));
      expect(logLines(service).at(-1)).toMatchObject({ msg: 'Nagare stopped', signal: 'SIGTERM' });
    });

    it('writes no file, only stdout, with LOG_DIR empty', async () => {
      const space = await workspace({ LOG_DIR: '' });
      const service = await startIn(space);
      expect(await service.stop('SIGTERM', EXIT_DEADLINE_MS)).toEqual({ code: 0, signal: null });

      expect(service.stdout).toContain('Nagare listening');
      expect(JSON.parse(service.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ msg: 'Nagare stopped' });
      expect(existsSync(join(space.dir, 'logs'))).toBe(false);
      expect(readdirSync(space.dir).filter((name) => name.includes('log'))).toEqual([]);
    });
  });

  describe('on SIGTERM', () => {
    it('exits 0 within a few seconds and stops accepting connections', async () => {
      const service = await startIn(await workspace());
      // A keep-alive connection left open by fetch must not hold the shutdown up.
      expect((await fetch(service.url('/health/live'))).status).toBe(200);

      const started = Date.now();
      expect(await service.stop('SIGTERM', EXIT_DEADLINE_MS)).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeLessThan(EXIT_DEADLINE_MS);
      expect(await acceptsConnections(service.port)).toBe(false);
    });

    it('ends system.log and stdout with "Nagare stopped", written in the last moment before exit', async () => {
      const service = await startIn(await workspace());
      expect(await service.stop('SIGTERM', EXIT_DEADLINE_MS)).toEqual({ code: 0, signal: null });

      // Logged after everything closed, just before process.exit: the logger writes asynchronously, so this line
      // reaches the files only if it is flushed on exit.
      expect(logLines(service).at(-1)).toMatchObject({ level: 'info', msg: 'Nagare stopped', signal: 'SIGTERM' });
      const stdoutLines = service.stdout.trim().split('\n');
      expect(JSON.parse(stdoutLines.at(-1) as string)).toMatchObject({ msg: 'Nagare stopped', signal: 'SIGTERM' });
    });
  });
});
