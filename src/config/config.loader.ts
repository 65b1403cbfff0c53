import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AppConfig, DatabaseConnection } from './app-config';
import { ConfigError } from './config-error';
import { CONFIG_KEYS, type ConfigKey } from './config.keys';
import { ConfigSchema, splitHostList } from './config.schema';
import { parseDurationSeconds } from './duration';
import { parseSizeBytes } from './size';
import { parseTrustProxy } from './trust-proxy';
import { loadOrCreateJwtSecret } from './jwt-secret';
import { parseRedisConnection } from './redis-connection';

export const DEFAULT_CONFIG_FILE = 'nagare_config.json';
const MIN_PRODUCTION_SECRET = 32;

type Env = Record<string, string | undefined>;
type Json = Record<string, unknown>;

/**
 * The only reader of the environment and of nagare_config.json. Environment wins over the file, the file
 * over the defaults; the merged result is validated once and any problem stops the boot with the key named.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const problems: string[] = [];
  const file = readConfigFile(env, cwd, problems);
  const raw: Json = {};
  for (const key of CONFIG_KEYS) {
    const value = pickValue(key, env, file);
    if (value !== undefined) setPath(raw, key.path, value);
  }
  problems.push(...unknownFileKeys(file));

  const schema = plainToInstance(ConfigSchema, raw);
  const errors = validateSync(schema, { forbidUnknownValues: true });
  problems.push(...errors.flatMap((error) => describe(error, '')));

  if (ttlSecondsOf(schema.jwt?.ttl) < 1) {
    problems.push('jwt.ttl (JWT_TTL): ttl must be at least one second, e.g. 15m or 24h');
  }

  const production = env.NODE_ENV === 'production';
  if (production) problems.push(...productionProblems(schema));
  if (problems.length > 0) throw new ConfigError(problems);
  return derive(schema, production, cwd);
}

/** What is fine on a developer's machine but refused with NODE_ENV=production. */
function productionProblems(schema: ConfigSchema): string[] {
  const problems: string[] = [];
  if (!schema.jwt?.secret) {
    problems.push(
      `jwt.secret (JWT_SECRET) is required when NODE_ENV=production: set at least ${MIN_PRODUCTION_SECRET} random characters`,
    );
  }
  // A worker serves no API (its probe port has only the health routes), so no /metrics to protect.
  if (schema.role !== 'worker' && !schema.metrics?.token && schema.metrics?.public !== true) {
    problems.push(
      'metrics.token (METRICS_TOKEN) is required when NODE_ENV=production: /metrics shows route traffic, ' +
        'error counts and queue depths, so give the scrapers a bearer token of 16+ characters, or set ' +
        'metrics.public (METRICS_PUBLIC=true) to serve it to anyone who reaches the port',
    );
  }
  return problems;
}

function derive(schema: ConfigSchema, production: boolean, cwd: string): AppConfig {
  const dataDir = resolve(cwd, schema.data.dir);
  const { redis, jwt } = connectionsOf(schema, dataDir);
  return deepFreeze({
    production,
    redis,
    jwt,
    credentials: credentialKeys(schema, jwt.secret),
    dataDir,
    role: schema.role,
    ...processSettings(schema, cwd),
    ...workSettings(schema),
  });
}

/** Monitor credentials move to credentials.key once it is set; until then they stay under jwt.secret. */
function credentialKeys(schema: ConfigSchema, jwtSecret: string): AppConfig['credentials'] {
  const { key, previous_key: previousKey } = schema.credentials ?? {};
  const previous = [previousKey, key ? jwtSecret : undefined].filter((secret): secret is string => !!secret);
  return { current: key ?? jwtSecret, previous };
}

/** Redis and the JWT secret (kept in data.dir when none is set): both can fail beyond what the schema checks. */
function connectionsOf(schema: ConfigSchema, dataDir: string): Pick<AppConfig, 'redis' | 'jwt'> {
  const problems: string[] = [];
  let redis;
  try {
    redis = parseRedisConnection(schema.redis);
  } catch (error) {
    const key = schema.redis.url ? 'redis.url (REDIS_URL)' : 'redis.addr (REDIS_ADDR)';
    problems.push(`${key}: ${(error as Error).message}`);
  }
  let jwt: AppConfig['jwt'] | undefined;
  if (schema.jwt.secret) {
    jwt = { secret: schema.jwt.secret, ttlSeconds: ttlSecondsOf(schema.jwt.ttl), secretSource: 'config' };
  } else {
    try {
      const { secret, created } = loadOrCreateJwtSecret(dataDir);
      const secretSource = created ? 'generated' : 'data-dir';
      jwt = { secret, ttlSeconds: ttlSecondsOf(schema.jwt.ttl), secretSource };
    } catch (error) {
      problems.push(
        `jwt.secret (JWT_SECRET) is not set and none could be kept in data.dir: ${(error as Error).message}`,
      );
    }
  }
  if (problems.length > 0 || !redis || !jwt) throw new ConfigError(problems);
  return { redis, jwt };
}

/** What the process serves and keeps: HTTP, database, logs, logins and quotas. */
function processSettings(
  schema: ConfigSchema,
  cwd: string,
): Pick<AppConfig, 'server' | 'database' | 'databaseRetry' | 'log' | 'admin' | 'auth' | 'quota' | 'metrics'> {
  return {
    server: {
      port: schema.server.port,
      host: schema.server.host,
      bodyLimit: schema.server.body_limit,
      jsonMaxDepth: schema.server.json_max_depth,
      jsonMaxValues: schema.server.json_max_values,
      trustProxy: parseTrustProxy(schema.server.trust_proxy) ?? false,
    },
    database: parseDatabaseUrl(schema.database.url, cwd),
    databaseRetry: { retries: schema.database.retries, delayMs: schema.database.retry_delay_ms },
    log: {
      dir: schema.log.dir === '' ? undefined : resolve(cwd, schema.log.dir),
      level: schema.log.level,
      maxBytes: parseSizeBytes(schema.log.max_size),
      maxFiles: schema.log.max_files,
    },
    admin: { username: schema.admin.username, password: schema.admin.password },
    auth: {
      loginMaxFailures: schema.auth.login_max_failures,
      loginWindowSeconds: schema.auth.login_window_seconds,
      loginDailyFailures: schema.auth.login_daily_failures,
    },
    quota: { enqueuePerMinute: schema.quota.enqueue_per_minute, eventStreams: schema.quota.event_streams },
    metrics: { token: schema.metrics?.token },
  };
}

/** How tasks run: the queues, the worker's probe port, the schedule and the webhooks. */
function workSettings(schema: ConfigSchema): Pick<AppConfig, 'queue' | 'worker' | 'sync' | 'webhook'> {
  return {
    queue: {
      prefix: schema.queue.prefix,
      concurrency: schema.queue.concurrency,
      concurrencyByType: schema.queue.concurrency_by_type ?? {},
      maxRetries: schema.queue.max_retries,
      backoffMs: schema.queue.backoff_ms,
      retentionSeconds: parseDurationSeconds(schema.queue.retention),
      retentionCount: schema.queue.retention_count,
      shutdownTimeoutMs: schema.queue.shutdown_timeout_ms,
    },
    worker: { probePort: schema.worker.probe_port },
    sync: { intervalSeconds: schema.sync.interval_seconds, pushGroup: schema.sync.push_group },
    webhook: {
      secret: schema.webhook.secret,
      allowPrivate: schema.webhook.allow_private,
      allowedHosts: splitHostList(schema.webhook.allowed_hosts),
      timeoutMs: schema.webhook.timeout_ms,
      maxRetries: schema.webhook.max_retries,
      backoffMs: schema.webhook.backoff_ms,
    },
  };
}

/** The ttl in seconds, or NaN when it is no duration (the validator names that). */
function ttlSecondsOf(ttl: unknown): number {
  try {
    return parseDurationSeconds(ttl as string);
  } catch {
    return Number.NaN;
  }
}

/** Freezes every section too, so no part of the process can change what the others read. */
function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child !== null && typeof child === 'object' && !Object.isFrozen(child)) deepFreeze(child);
  }
  return Object.freeze(value);
}

function parseDatabaseUrl(url: string, cwd: string): DatabaseConnection {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(cwd, path) };
  }
  return { kind: 'postgres', url };
}

function readConfigFile(env: Env, cwd: string, problems: string[]): Json {
  const explicit = env.NAGARE_CONFIG || undefined;
  const path = resolve(cwd, explicit ?? DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (explicit) problems.push(`NAGARE_CONFIG points to ${path}, which does not exist`);
    return {};
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'unknown error'})`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(`${path} is not valid JSON${whereJsonFailed(text, error as Error)}`);
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`${path} must hold a JSON object`);
    return {};
  }
  return parsed as Json;
}

/**
 * Where the parse failed, as line and column. V8's own message quotes the text around the fault, which may
 * be a secret from the file, so it is never passed on.
 */
function whereJsonFailed(text: string, error: Error): string {
  const position = /at position (\d+)/.exec(error.message);
  if (!position) return '';
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

function pickValue(key: ConfigKey, env: Env, file: Json): unknown {
  const fromEnv = env[key.env];
  if (fromEnv !== undefined && (fromEnv !== '' || key.emptyAllowed)) return coerce(fromEnv, key.kind);
  const fromFile = getPath(file, key.path);
  if (fromFile !== undefined && fromFile !== null) return fromFile;
  return key.default;
}

/** Environment values are strings; turn the ones that look right into their kind and leave the rest for the validator to name. */
function coerce(text: string, kind: ConfigKey['kind']): unknown {
  if (kind === 'int') return /^-?\d+$/.test(text.trim()) ? Number(text) : text;
  if (kind === 'json') {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (kind === 'bool') {
    const lowered = text.trim().toLowerCase();
    if (['true', '1', 'yes'].includes(lowered)) return true;
    if (['false', '0', 'no'].includes(lowered)) return false;
    return text;
  }
  return text;
}

function unknownFileKeys(file: Json): string[] {
  const known = new Set(CONFIG_KEYS.map((key) => key.path));
  const sections = new Set(CONFIG_KEYS.map((key) => key.path.split('.')[0]));
  const problems: string[] = [];
  const walk = (node: Json, prefix: string) => {
    for (const [name, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${name}` : name;
      if (known.has(path)) continue;
      if (!prefix && sections.has(name) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        walk(value as Json, path);
      } else {
        problems.push(`${path} is not a known configuration key`);
      }
    }
  };
  walk(file, '');
  return problems;
}

function describe(error: ValidationError, parent: string): string[] {
  const path = parent ? `${parent}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((message) => `${path} (${envNameOf(path)}): ${message}`);
  return [...own, ...(error.children ?? []).flatMap((child) => describe(child, path))];
}

function envNameOf(path: string): string {
  return CONFIG_KEYS.find((key) => key.path === path)?.env ?? 'nagare_config.json';
}

function getPath(node: Json, path: string): unknown {
  let current: unknown = node;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Json)[part];
  }
  return current;
}

function setPath(node: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let current = node;
  for (const part of parts.slice(0, -1)) current = (current[part] ??= {}) as Json;
  current[parts[parts.length - 1]] = value;
}
