import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from './app-config';
import { ConfigError } from './config-error';
import { loadConfig } from './config.loader';
import { JWT_SECRET_FILE } from './jwt-secret';

type Env = Record<string, string | undefined>;

const SECRET_32 = 'abcdefghijklmnopqrstuvwxyz012345';
/** What production needs for /metrics, for the tests about something else. */
const PRODUCTION_METRICS = { METRICS_TOKEN: 'scrape-token-0123456789' };
const dirs: string[] = [];

/** A fresh, empty working directory, optionally holding the given files (objects are written as JSON). */
function workDir(files: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nagare-config-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

function load(env: Env = {}, files: Record<string, unknown> = {}): AppConfig {
  return loadConfig(env, workDir(files));
}

/** The ConfigError the load throws; fails the test when it loads fine or throws something else. */
function configErrorOfLoad(env: Env, cwd: string): ConfigError {
  try {
    loadConfig(env, cwd);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

function configErrorOf(env: Env, files: Record<string, unknown> = {}): ConfigError {
  return configErrorOfLoad(env, workDir(files));
}

/** Matches a problem line that names the file key and the environment variable, e.g. `server.port (PORT): ...`. */
function namingKey(path: string, envVar: string) {
  return expect.stringMatching(new RegExp(`^${path.replace(/\./g, '\\.')} \\(${envVar}\\)(: | )\\S`));
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe(loadConfig.name, () => {
  describe('defaults', () => {
    it('matches the issue’s configuration table when neither environment nor file sets anything', () => {
      const cwd = workDir();
      const config = loadConfig({}, cwd);

      expect(config.production).toBe(false);
      expect(config.server).toMatchObject({ port: 8080, host: '0.0.0.0' });
      expect(config.redis).toEqual({
        host: '127.0.0.1',
        port: 6379,
        password: undefined,
        db: 0,
        tls: false,
        display: '127.0.0.1:6379',
      });
      expect(config.database).toEqual({ kind: 'sqlite', path: join(cwd, 'data', 'nagare.sqlite') });
      expect(config.jwt.ttlSeconds).toBe(86_400);
      expect(config.role).toBe('all');
      expect(config.log).toEqual({ dir: join(cwd, 'logs'), level: 'info', maxBytes: 10 * 1024 * 1024, maxFiles: 5 });
      expect(config.queue).toEqual({
        prefix: 'nagare:queue',
        concurrency: 4,
        concurrencyByType: {},
        maxRetries: 3,
        backoffMs: 1000,
        retentionSeconds: 86_400,
        retentionCount: 10_000,
        shutdownTimeoutMs: 25_000,
      });
      expect(config.admin).toEqual({ username: 'admin', password: undefined });
      expect(config.worker).toEqual({ probePort: 8081 });
      expect(config.sync).toEqual({ intervalSeconds: 0, pushGroup: 'Nagare' });
    });

    it('never falls back to the real process environment', () => {
      const saved = process.env.PORT;
      process.env.PORT = '1234';
      try {
        expect(load({}).server.port).toBe(8080);
      } finally {
        if (saved === undefined) delete process.env.PORT;
        else process.env.PORT = saved;
      }
    });

    it('returns a configuration that cannot be changed afterwards, nested sections included', () => {
      const config = load({});
      expect(() => {
        (config as { role: string }).role = 'worker';
      }).toThrow(TypeError);
      expect(() => {
        (config.queue as { concurrency: number }).concurrency = 99;
      }).toThrow(TypeError);
      expect(config.queue.concurrency).toBe(4);
    });

    it('treats an empty environment variable as unset', () => {
      expect(load({ PORT: '', LOG_LEVEL: '' }, { 'nagare_config.json': { server: { port: 9001 } } })).toMatchObject({
        server: { port: 9001 },
        log: { level: 'info' },
      });
    });
  });

  describe('log', () => {
    it('takes an empty LOG_DIR (or log.dir "") as stdout only, with no log file', () => {
      expect(load({ LOG_DIR: '' }).log.dir).toBeUndefined();
      expect(load({}, { 'nagare_config.json': { log: { dir: '' } } }).log.dir).toBeUndefined();
    });

    it('reads the rotation size and the number of rotated files kept', () => {
      expect(load({ LOG_MAX_SIZE: '512kb', LOG_MAX_FILES: '3' }).log).toMatchObject({ maxBytes: 524_288, maxFiles: 3 });
    });

    it('reads the host group pushed hosts join, and refuses a blank or padded one naming the key', () => {
      expect(load({ SYNC_PUSH_GROUP: 'Servers/Nagare' }).sync.pushGroup).toBe('Servers/Nagare');
      expect(configErrorOf({ SYNC_PUSH_GROUP: ' Nagare' }).problems).toEqual([
        namingKey('sync.push_group', 'SYNC_PUSH_GROUP'),
      ]);
      expect(configErrorOf({ SYNC_PUSH_GROUP: 'x'.repeat(256) }).problems).toEqual([
        namingKey('sync.push_group', 'SYNC_PUSH_GROUP'),
      ]);
    });

    it('refuses a size that is no size and a retention out of range, naming the key', () => {
      const error = configErrorOf({ LOG_MAX_SIZE: 'big', LOG_MAX_FILES: '0' });
      expect(error.problems).toEqual(
        expect.arrayContaining([
          namingKey('log.max_size', 'LOG_MAX_SIZE'),
          namingKey('log.max_files', 'LOG_MAX_FILES'),
        ]),
      );
    });
  });

  describe('nagare_config.json', () => {
    it('reads nagare_config.json from the working directory', () => {
      const config = load(
        {},
        {
          'nagare_config.json': {
            server: { port: 9100, host: '127.0.0.1' },
            queue: { prefix: 'from-file', concurrency: 7 },
            role: 'api',
            jwt: { ttl: '15m' },
          },
        },
      );
      expect(config.server).toMatchObject({ port: 9100, host: '127.0.0.1' });
      expect(config.queue).toMatchObject({ prefix: 'from-file', concurrency: 7 });
      expect(config.role).toBe('api');
      expect(config.jwt.ttlSeconds).toBe(900);
    });

    it('reads the file NAGARE_CONFIG points to instead of ./nagare_config.json', () => {
      const config = load(
        { NAGARE_CONFIG: 'etc/other.json' },
        {
          'nagare_config.json': { server: { port: 9100 } },
          'etc/other.json': { server: { port: 9200 } },
        },
      );
      expect(config.server.port).toBe(9200);
    });

    it('fails naming the file when NAGARE_CONFIG points to one that does not exist', () => {
      const error = configErrorOf({ NAGARE_CONFIG: 'missing/settings.json' });
      expect(error.message).toContain('NAGARE_CONFIG');
      expect(error.message).toContain(join('missing', 'settings.json'));
    });

    it('ignores an empty NAGARE_CONFIG like any other empty variable', () => {
      expect(load({ NAGARE_CONFIG: '' }, { 'nagare_config.json': { server: { port: 9300 } } }).server.port).toBe(9300);
    });

    it('lets the environment win over the file', () => {
      const config = load(
        { PORT: '9500', QUEUE_PREFIX: 'from-env', WORKER_CONCURRENCY: '9' },
        { 'nagare_config.json': { server: { port: 9100 }, queue: { prefix: 'from-file', concurrency: 7 } } },
      );
      expect(config.server.port).toBe(9500);
      expect(config.queue).toMatchObject({ prefix: 'from-env', concurrency: 9 });
    });

    it('accepts the guide’s example file {"redis":{"addr":"localhost:6379"}}', () => {
      const config = load({}, { 'nagare_config.json': '{\n  "redis": {\n    "addr": "localhost:6379"\n  }\n}\n' });
      expect(config.redis).toMatchObject({ host: 'localhost', port: 6379, tls: false, display: 'localhost:6379' });
    });
  });

  describe('validation', () => {
    it.each([
      [{ PORT: 'abc' }, 'server.port', 'PORT'],
      [{ PORT: '70000' }, 'server.port', 'PORT'],
      [{ REDIS_ADDR: 'nocolon' }, 'redis.addr', 'REDIS_ADDR'],
      [{ REDIS_ADDR: 'redis.internal:99999' }, 'redis.addr', 'REDIS_ADDR'],
      [{ REDIS_URL: 'http://x' }, 'redis.url', 'REDIS_URL'],
      [{ REDIS_URL: 'redis://cache.example:6379/one' }, 'redis.url', 'REDIS_URL'],
      [{ DATABASE_URL: 'mysql://x' }, 'database.url', 'DATABASE_URL'],
      [{ NAGARE_ROLE: 'boss' }, 'role', 'NAGARE_ROLE'],
      [{ LOG_LEVEL: 'loud' }, 'log.level', 'LOG_LEVEL'],
      [{ WORKER_CONCURRENCY: '0' }, 'queue.concurrency', 'WORKER_CONCURRENCY'],
      [{ TASK_MAX_RETRIES: '-1' }, 'queue.max_retries', 'TASK_MAX_RETRIES'],
      [{ JWT_TTL: 'forever' }, 'jwt.ttl', 'JWT_TTL'],
      [{ JWT_TTL: '0' }, 'jwt.ttl', 'JWT_TTL'],
      [{ TRUST_PROXY: 'maybe' }, 'server.trust_proxy', 'TRUST_PROXY'],
      [{ WORKER_PROBE_PORT: '65536' }, 'worker.probe_port', 'WORKER_PROBE_PORT'],
      [{ WORKER_PROBE_PORT: '-1' }, 'worker.probe_port', 'WORKER_PROBE_PORT'],
    ])('rejects %p naming %s and %s', (env, path, envVar) => {
      const error = configErrorOf(env);
      expect(error.problems).toEqual(expect.arrayContaining([namingKey(path, envVar)]));
      expect(error.message).toContain(`${path} (${envVar})`);
    });

    it('names a value of the wrong type in the file by its key', () => {
      const error = configErrorOf({}, { 'nagare_config.json': { server: { port: 'eighty' } } });
      expect(error.problems).toEqual(expect.arrayContaining([namingKey('server.port', 'PORT')]));
    });

    it('names an unknown key in the file', () => {
      const error = configErrorOf({}, { 'nagare_config.json': { server: { port: 9100, colour: 'blue' } } });
      expect(error.problems).toEqual(['server.colour is not a known configuration key']);
    });

    it('names the file and where it breaks when it is not valid JSON', () => {
      const cwd = workDir({ 'nagare_config.json': '{\n  "server": {"port": 9100,}\n}' });
      const error = configErrorOfLoad({}, cwd);
      expect(error.problems).toEqual([`${join(cwd, 'nagare_config.json')} is not valid JSON at line 2, column 27`]);
    });

    it('names the file when it is not a JSON object', () => {
      const error = configErrorOf({}, { 'nagare_config.json': '["redis"]' });
      expect(error.problems).toEqual([expect.stringMatching(/nagare_config\.json must hold a JSON object$/)]);
    });

    it('reports every problem at once', () => {
      const error = configErrorOf(
        { PORT: 'abc', NAGARE_ROLE: 'boss', LOG_LEVEL: 'loud', JWT_TTL: 'forever' },
        { 'nagare_config.json': { server: { colour: 'blue' } } },
      );
      expect(error.problems).toEqual(
        expect.arrayContaining([
          namingKey('server.port', 'PORT'),
          namingKey('role', 'NAGARE_ROLE'),
          namingKey('log.level', 'LOG_LEVEL'),
          namingKey('jwt.ttl', 'JWT_TTL'),
          'server.colour is not a known configuration key',
        ]),
      );
    });
  });

  describe('JWT secret', () => {
    it('refuses production without JWT_SECRET, naming it', () => {
      const error = configErrorOf({ ...PRODUCTION_METRICS, NODE_ENV: 'production' });
      expect(error.problems).toEqual([namingKey('jwt.secret', 'JWT_SECRET')]);
    });

    it('refuses production with a JWT_SECRET shorter than 32 characters, naming it', () => {
      const error = configErrorOf({ ...PRODUCTION_METRICS, NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(20) });
      expect(error.problems).toEqual([namingKey('jwt.secret', 'JWT_SECRET')]);
    });

    it('starts in production with a JWT_SECRET of 32 characters and writes no secret file', () => {
      const cwd = workDir();
      const config = loadConfig({ ...PRODUCTION_METRICS, NODE_ENV: 'production', JWT_SECRET: SECRET_32 }, cwd);
      expect(config.production).toBe(true);
      expect(config.jwt).toMatchObject({ secret: SECRET_32, secretSource: 'config' });
      expect(() => statSync(join(cwd, 'data', JWT_SECRET_FILE))).toThrow();
    });

    it('outside production generates a secret into <DATA_DIR>/jwt-secret with mode 0600', () => {
      const cwd = workDir();
      const config = loadConfig({ DATA_DIR: 'state' }, cwd);
      const file = join(cwd, 'state', JWT_SECRET_FILE);

      expect(config.jwt.secretSource).toBe('generated');
      expect(config.jwt.secret.length).toBeGreaterThanOrEqual(32);
      expect(readFileSync(file, 'utf8').trim()).toBe(config.jwt.secret);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    });

    it('keeps the generated secret across restarts so issued tokens stay valid', () => {
      const cwd = workDir();
      const first = loadConfig({}, cwd);
      const second = loadConfig({}, cwd);
      expect(second.jwt.secret).toBe(first.jwt.secret);
      expect(second.jwt.secretSource).toBe('data-dir');
      expect(loadConfig({}, workDir()).jwt.secret).not.toBe(first.jwt.secret);
    });
  });

  describe('metrics in production (issue 15, item 10)', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: SECRET_32 };

    it.each(['api', 'all'])(
      'refuses to serve /metrics to anyone: role %s without METRICS_TOKEN stops, naming it',
      (role) => {
        const error = configErrorOf({ ...production, NAGARE_ROLE: role });
        expect(error.problems).toEqual([namingKey('metrics.token', 'METRICS_TOKEN')]);
        expect(error.message).toContain('METRICS_PUBLIC=true');
      },
    );

    it('starts with a METRICS_TOKEN, which /metrics then requires', () => {
      const config = load({ ...production, METRICS_TOKEN: 'scrape-token-0123456789' });
      expect(config.metrics.token).toBe('scrape-token-0123456789');
    });

    it('starts without a token when METRICS_PUBLIC=true says /metrics may be public', () => {
      expect(load({ ...production, METRICS_PUBLIC: 'true' }).metrics.token).toBeUndefined();
    });

    it('starts a worker, which serves no /metrics, without either', () => {
      expect(load({ ...production, NAGARE_ROLE: 'worker' }).role).toBe('worker');
    });

    it('keeps /metrics public outside production, as before', () => {
      expect(load({}).metrics.token).toBeUndefined();
    });

    it('refuses a METRICS_PUBLIC that is not a boolean, naming it', () => {
      const error = configErrorOf({ METRICS_PUBLIC: 'sometimes' });
      expect(error.problems).toEqual([namingKey('metrics.public', 'METRICS_PUBLIC')]);
    });
  });

  describe('secrets in error messages', () => {
    it.each([
      ['a REDIS_URL that is not redis://', { REDIS_URL: 'http://:hunter2-secret@cache.example' }],
      ['a REDIS_URL with a bad db', { REDIS_URL: 'redis://:hunter2-secret@cache.example:6379/x' }],
      ['a REDIS_URL with a bad port', { REDIS_URL: 'redis://:hunter2-secret@cache.example:99999' }],
      ['a JWT_SECRET that is too short', { JWT_SECRET: 'hunter2-secret' }],
      ['a production JWT_SECRET that is too short', { NODE_ENV: 'production', JWT_SECRET: 'hunter2-secret' }],
      ['a METRICS_TOKEN that is too short', { METRICS_TOKEN: 'hunter2-secret' }],
      ['an admin password that is too short', { NAGARE_ADMIN_PASSWORD: 'hunter2' }],
      ['a DATABASE_URL of an unknown kind', { DATABASE_URL: 'mysql://root:hunter2-secret@db.example/nagare' }],
    ])('keeps the value out of the message for %s', (_case, env) => {
      const error = configErrorOf(env);
      expect(error.problems.length).toBeGreaterThan(0);
      expect(error.message).not.toContain('hunter2');
    });

    it('keeps a secret out of the message when the file holding it is not valid JSON', () => {
      const error = configErrorOf({}, { 'nagare_config.json': '{"jwt": {"secret": hunter2-secret-unquoted}}' });
      expect(error.message).toContain('nagare_config.json is not valid JSON');
      expect(error.message).not.toContain('hunter2');
    });
  });

  describe('redis', () => {
    it('lets REDIS_URL win over REDIS_ADDR', () => {
      const config = load({ REDIS_ADDR: 'addr-host:6380', REDIS_URL: 'redis://url-host:6390' });
      expect(config.redis).toMatchObject({ host: 'url-host', port: 6390, display: 'url-host:6390' });
    });

    it('turns TLS on for rediss://', () => {
      expect(load({ REDIS_URL: 'rediss://secure.example:6380' }).redis).toMatchObject({ port: 6380, tls: true });
    });

    it('reads user, password and db from the url', () => {
      const config = load({ REDIS_URL: 'redis://queue-user:url-secret@cache.example:6379/3' });
      expect(config.redis).toMatchObject({ username: 'queue-user', password: 'url-secret', db: 3 });
      expect(config.redis.display).toBe('cache.example:6379');
    });

    it('applies REDIS_PASSWORD to the addr form', () => {
      const config = load({ REDIS_ADDR: 'cache.example:6379', REDIS_PASSWORD: 'addr-secret' });
      expect(config.redis).toMatchObject({ host: 'cache.example', port: 6379, password: 'addr-secret' });
    });
  });

  describe('database', () => {
    it('resolves a relative sqlite path under the working directory and keeps an absolute one', () => {
      const cwd = workDir();
      expect(loadConfig({ DATABASE_URL: 'sqlite:db/x.sqlite' }, cwd).database).toEqual({
        kind: 'sqlite',
        path: join(cwd, 'db', 'x.sqlite'),
      });
      expect(loadConfig({ DATABASE_URL: 'sqlite:///var/lib/nagare.sqlite' }, cwd).database).toEqual({
        kind: 'sqlite',
        path: '/var/lib/nagare.sqlite',
      });
    });

    it('selects PostgreSQL for a postgres:// url', () => {
      const url = 'postgres://nagare:pw@db.example:5432/nagare';
      expect(load({ DATABASE_URL: url }).database).toEqual({ kind: 'postgres', url });
    });
  });
});

describe('loadConfig queue settings', () => {
  it('takes a per-type concurrency from the file, and from the environment as JSON', () => {
    expect(
      load({}, { 'nagare_config.json': { queue: { concurrency_by_type: { pull_hosts: 2 } } } }).queue.concurrencyByType,
    ).toEqual({
      pull_hosts: 2,
    });
    expect(load({ WORKER_CONCURRENCY_BY_TYPE: '{"push_item": 7}' }).queue.concurrencyByType).toEqual({ push_item: 7 });
  });

  it.each([
    [{ WORKER_CONCURRENCY_BY_TYPE: '{"pull_everything": 2}' }],
    [{ WORKER_CONCURRENCY_BY_TYPE: '{"pull_hosts": 0}' }],
    [{ WORKER_CONCURRENCY_BY_TYPE: 'not json' }],
  ])('refuses %p naming queue.concurrency_by_type', (env) => {
    expect(configErrorOf(env).message).toContain('queue.concurrency_by_type (WORKER_CONCURRENCY_BY_TYPE)');
  });

  it('reads the task retention as a duration and refuses one that is not', () => {
    expect(load({ TASK_RETENTION: '2h' }).queue.retentionSeconds).toBe(7200);
    expect(configErrorOf({ TASK_RETENTION: 'a while' }).message).toContain('queue.retention (TASK_RETENTION)');
  });
});
