import type { TaskType } from '../queue/task-types';
import type { LogLevel, Role } from './config.schema';

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
  readonly server: { port: number; host: string; bodyLimit: string; trustProxy: boolean };
  readonly redis: RedisConnection;
  readonly database: DatabaseConnection;
  readonly dataDir: string;
  readonly jwt: { secret: string; ttlSeconds: number; secretSource: 'config' | 'generated' | 'data-dir' };
  readonly role: Role;
  readonly log: { dir: string; level: LogLevel };
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
  readonly admin: { username: string; password?: string };
  readonly auth: { loginMaxFailures: number; loginWindowSeconds: number };
  /** Bearer token GET /metrics requires; unset, the endpoint is public. */
  readonly metrics: { token?: string };
  /** Seconds between scheduled pulls of every enabled monitor; 0 turns the schedule off. */
  readonly sync: { intervalSeconds: number };
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
