/**
 * Every configuration key the service reads: where it lives in nagare_config.json, which environment
 * variable overrides it, and its default. The loader and the README's table are built from this list.
 */
export interface ConfigKey {
  /** Dotted path in nagare_config.json, e.g. `server.port`. */
  path: string;
  /** Environment variable that wins over the file. */
  env: string;
  kind: 'string' | 'int' | 'bool' | 'json';
  default?: string | number | boolean;
  /** Never echoed back in an error message. */
  secret?: boolean;
  /** An empty environment value is a value (LOG_DIR= means no log file), not an unset variable. */
  emptyAllowed?: boolean;
}

export const CONFIG_KEYS: readonly ConfigKey[] = [
  { path: 'server.port', env: 'PORT', kind: 'int', default: 8080 },
  { path: 'server.host', env: 'HOST', kind: 'string', default: '0.0.0.0' },
  { path: 'server.body_limit', env: 'BODY_LIMIT', kind: 'string', default: '1mb' },
  { path: 'server.json_max_depth', env: 'JSON_MAX_DEPTH', kind: 'int', default: 32 },
  { path: 'server.json_max_values', env: 'JSON_MAX_VALUES', kind: 'int', default: 1000 },
  { path: 'server.trust_proxy', env: 'TRUST_PROXY', kind: 'string', default: 'false' },
  { path: 'redis.addr', env: 'REDIS_ADDR', kind: 'string', default: '127.0.0.1:6379' },
  { path: 'redis.url', env: 'REDIS_URL', kind: 'string', secret: true },
  { path: 'redis.password', env: 'REDIS_PASSWORD', kind: 'string', secret: true },
  { path: 'redis.sentinels', env: 'REDIS_SENTINELS', kind: 'json' },
  { path: 'redis.sentinel_name', env: 'REDIS_SENTINEL_NAME', kind: 'string', default: 'mymaster' },
  { path: 'redis.sentinel_password', env: 'REDIS_SENTINEL_PASSWORD', kind: 'string', secret: true },
  { path: 'redis.min_replicas_ack', env: 'REDIS_MIN_REPLICAS_ACK', kind: 'int' },
  { path: 'database.url', env: 'DATABASE_URL', kind: 'string', default: 'sqlite:data/nagare.sqlite', secret: true },
  { path: 'database.retries', env: 'DATABASE_RETRIES', kind: 'int', default: 9 },
  { path: 'database.retry_delay_ms', env: 'DATABASE_RETRY_DELAY_MS', kind: 'int', default: 3000 },
  { path: 'data.dir', env: 'DATA_DIR', kind: 'string', default: 'data' },
  { path: 'jwt.secret', env: 'JWT_SECRET', kind: 'string', secret: true },
  { path: 'jwt.ttl', env: 'JWT_TTL', kind: 'string', default: '24h' },
  { path: 'credentials.key', env: 'CREDENTIALS_KEY', kind: 'string', secret: true },
  { path: 'credentials.previous_key', env: 'CREDENTIALS_PREVIOUS_KEY', kind: 'string', secret: true },
  { path: 'role', env: 'NAGARE_ROLE', kind: 'string', default: 'all' },
  { path: 'log.dir', env: 'LOG_DIR', kind: 'string', default: 'logs', emptyAllowed: true },
  { path: 'log.max_size', env: 'LOG_MAX_SIZE', kind: 'string', default: '10mb' },
  { path: 'log.max_files', env: 'LOG_MAX_FILES', kind: 'int', default: 5 },
  { path: 'log.level', env: 'LOG_LEVEL', kind: 'string', default: 'info' },
  { path: 'queue.prefix', env: 'QUEUE_PREFIX', kind: 'string', default: 'nagare:queue' },
  { path: 'queue.concurrency', env: 'WORKER_CONCURRENCY', kind: 'int', default: 4 },
  { path: 'queue.max_retries', env: 'TASK_MAX_RETRIES', kind: 'int', default: 3 },
  { path: 'queue.backoff_ms', env: 'TASK_BACKOFF_MS', kind: 'int', default: 1000 },
  { path: 'queue.concurrency_by_type', env: 'WORKER_CONCURRENCY_BY_TYPE', kind: 'json' },
  { path: 'queue.retention', env: 'TASK_RETENTION', kind: 'string', default: '24h' },
  { path: 'queue.retention_count', env: 'TASK_RETENTION_COUNT', kind: 'int', default: 10000 },
  { path: 'queue.shutdown_timeout_ms', env: 'WORKER_SHUTDOWN_TIMEOUT_MS', kind: 'int', default: 25000 },
  { path: 'worker.probe_port', env: 'WORKER_PROBE_PORT', kind: 'int', default: 8081 },
  { path: 'admin.username', env: 'NAGARE_ADMIN_USERNAME', kind: 'string', default: 'admin' },
  { path: 'admin.password', env: 'NAGARE_ADMIN_PASSWORD', kind: 'string', secret: true },
  { path: 'auth.login_max_failures', env: 'LOGIN_MAX_FAILURES', kind: 'int', default: 5 },
  { path: 'auth.login_window_seconds', env: 'LOGIN_WINDOW_SECONDS', kind: 'int', default: 900 },
  { path: 'auth.login_daily_failures', env: 'LOGIN_DAILY_FAILURES', kind: 'int', default: 100 },
  { path: 'quota.enqueue_per_minute', env: 'QUOTA_ENQUEUE_PER_MINUTE', kind: 'int', default: 120 },
  { path: 'quota.event_streams', env: 'QUOTA_EVENT_STREAMS', kind: 'int', default: 10 },
  { path: 'metrics.token', env: 'METRICS_TOKEN', kind: 'string', secret: true },
  { path: 'metrics.public', env: 'METRICS_PUBLIC', kind: 'bool', default: false },
  { path: 'sync.interval_seconds', env: 'SYNC_INTERVAL_SECONDS', kind: 'int', default: 0 },
  { path: 'sync.push_group', env: 'SYNC_PUSH_GROUP', kind: 'string', default: 'Nagare' },
  { path: 'webhook.secret', env: 'WEBHOOK_SECRET', kind: 'string', secret: true },
  { path: 'webhook.allow_private', env: 'WEBHOOK_ALLOW_PRIVATE', kind: 'bool', default: false },
  { path: 'webhook.allowed_hosts', env: 'WEBHOOK_ALLOWED_HOSTS', kind: 'json' },
  { path: 'webhook.timeout_ms', env: 'WEBHOOK_TIMEOUT_MS', kind: 'int', default: 5000 },
  { path: 'webhook.max_retries', env: 'WEBHOOK_MAX_RETRIES', kind: 'int', default: 5 },
  { path: 'webhook.backoff_ms', env: 'WEBHOOK_BACKOFF_MS', kind: 'int', default: 2000 },
];
