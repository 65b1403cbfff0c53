import type { TaskType } from '../common/task-type-names';
import type { LogLevel, Role } from './config.schema';
import type { TrustProxy } from './trust-proxy';

/** Injection token of the validated, immutable configuration. */
export const APP_CONFIG = Symbol('APP_CONFIG');

export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
  /** host:port for messages and logs; never carries credentials. */
  display: string;
  /** Set when the master comes from Redis Sentinel; host and port above are then unused. */
  sentinel?: { sentinels: SentinelAddress[]; name: string; password?: string };
  /** Set when an enqueue answers 202 only once this many replicas hold the task (Redis WAIT). */
  replicasToAck?: number;
}

export interface SentinelAddress {
  host: string;
  port: number;
}

export type DatabaseConnection = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** The configuration the rest of the service reads: typed, validated once, with derived values resolved. */
export interface AppConfig {
  readonly production: boolean;
  readonly server: {
    port: number;
    host: string;
    bodyLimit: string;
    jsonMaxDepth: number;
    jsonMaxValues: number;
    trustProxy: TrustProxy;
  };
  readonly redis: RedisConnection;
  readonly database: DatabaseConnection;
  /** Attempts to open the database at start beyond the first, and the pause between them. */
  readonly databaseRetry: { retries: number; delayMs: number };
  readonly dataDir: string;
  readonly jwt: { secret: string; ttlSeconds: number; secretSource: 'config' | 'generated' | 'data-dir' };
  /**
   * What monitor credentials are sealed under: `current` (credentials.key, else jwt.secret) and the keys they may
   * still be sealed under (credentials.previous_key, and jwt.secret once credentials.key is set).
   */
  readonly credentials: { current: string; previous: string[] };
  readonly role: Role;
  /** `dir` undefined: stdout only. system.log rotates past `maxBytes`, keeping `maxFiles` rotated files. */
  readonly log: { dir?: string; level: LogLevel; maxBytes: number; maxFiles: number };
  readonly queue: {
    prefix: string;
    concurrency: number;
    concurrencyByType: Partial<Record<TaskType, number>>;
    maxRetries: number;
    backoffMs: number;
    retentionSeconds: number;
    retentionCount: number;
    shutdownTimeoutMs: number;
  };
  /** Port of a worker-only process's /health/live and /health/ready (on server.host); 0: none. */
  readonly worker: { probePort: number };
  readonly admin: { username: string; password?: string };
  /**
   * Failed logins: `loginMaxFailures` in a row for one username from one client within `loginWindowSeconds`, and
   * `loginDailyFailures` from one client (any usernames) in a day.
   */
  readonly auth: { loginMaxFailures: number; loginWindowSeconds: number; loginDailyFailures: number };
  /**
   * Per user: tasks queued through the async routes in a minute, and task event streams open at once; beyond
   * either, 429 with Retry-After.
   */
  readonly quota: { enqueuePerMinute: number; eventStreams: number };
  /** Bearer token GET /metrics requires; unset, the endpoint is public (production requires metrics.public then). */
  readonly metrics: { token?: string };
  /**
   * Seconds between scheduled pulls of every enabled monitor (0 turns the schedule off), and the host group a
   * pushed host joins on the monitor when it has none here.
   */
  readonly sync: { intervalSeconds: number; pushGroup: string };
  /** Task result callbacks; `secret` unset means generated into the data dir on first use (never in production). */
  readonly webhook: {
    secret?: string;
    allowPrivate: boolean;
    allowedHosts: string[];
    timeoutMs: number;
    maxRetries: number;
    backoffMs: number;
  };
}
