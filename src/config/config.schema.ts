import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
  IsObject,
  registerDecorator,
} from 'class-validator';
import { TASK_TYPES } from '../common/task-type-names';
import { IsSentinelList } from './redis-connection';
import { parseTrustProxy } from './trust-proxy';

/**
 * The shape nagare_config.json and the environment must have once merged. Property names are the
 * file's keys; config.keys.ts maps each one to its environment variable.
 */
export const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
const DURATION = /^\d+(ms|s|m|h|d)?$/;
const SIZE = /^\d+(b|kb|mb)$/i;

/** `true`, `false`, a hop count or a list of proxy addresses: see parseTrustProxy. */
function IsTrustProxy() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isTrustProxy',
      target: target.constructor,
      propertyName,
      options: {
        message:
          'trust_proxy must be false, true, a number of proxy hops from 1 to 10, or a comma-separated list of proxy ' +
          'addresses, CIDR ranges, loopback, linklocal or uniquelocal',
      },
      validator: { validate: (value: unknown) => parseTrustProxy(value) !== undefined },
    });
}

/** `{"pull_hosts": 2, ...}`: each key a task type, each value a concurrency from 1 to 200. */
function IsPerTypeConcurrency() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isPerTypeConcurrency',
      target: target.constructor,
      propertyName,
      options: {
        message: `concurrency_by_type must map task types (${TASK_TYPES.join(', ')}) to whole numbers from 1 to 200`,
      },
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          Object.entries(value).every(
            ([type, n]) =>
              (TASK_TYPES as readonly string[]).includes(type) && Number.isInteger(n) && n >= 1 && n <= 200,
          ),
      },
    });
}

export class ServerSection {
  @IsInt() @Min(1) @Max(65535) port!: number;
  @IsString() @IsNotEmpty() host!: string;
  @Matches(SIZE, { message: 'body_limit must be a size such as 512kb or 1mb' }) body_limit!: string;
  // Deeper bodies would reach class-transformer, which recurses once per level: 256 keeps it far from the stack's end.
  @IsInt() @Min(1) @Max(256) json_max_depth!: number;
  @IsInt() @Min(1) @Max(1_000_000) json_max_values!: number;
  @IsTrustProxy() trust_proxy!: boolean | number | string;
}

export class RedisSection {
  @Matches(HOST_PORT, { message: 'addr must be host:port, e.g. 127.0.0.1:6379' }) addr!: string;
  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'url must start with redis:// or rediss://' })
  url?: string;
  @IsOptional() @IsString() @IsNotEmpty() password?: string;
  @IsOptional() @IsSentinelList() sentinels?: unknown;
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'sentinel_name may hold 1-64 letters, digits and . _ - only' })
  sentinel_name!: string;
  @IsOptional() @IsString() @IsNotEmpty() sentinel_password?: string;
  @IsOptional() @IsInt() @Min(0) @Max(16) min_replicas_ack?: number;
}

export class DatabaseSection {
  @Matches(/^(sqlite:\S+|postgres(ql)?:\/\/\S+)$/, {
    message: 'url must be sqlite:<file> or postgres://user@host:port/db',
  })
  url!: string;
  @IsInt() @Min(0) @Max(1000) retries!: number;
  @IsInt() @Min(0) @Max(600_000) retry_delay_ms!: number;
}

export class DataSection {
  @IsString() @IsNotEmpty() dir!: string;
}

export class JwtSection {
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'secret must be at least 32 characters long' })
  secret?: string;
  @Matches(DURATION, { message: 'ttl must be a duration such as 3600, 15m, 24h or 7d' }) ttl!: string;
}

export class LogSection {
  /** Empty: no log file, stdout only. */
  @IsString() dir!: string;
  @IsIn(LOG_LEVELS) level!: LogLevel;
  @Matches(SIZE, { message: 'max_size must be a size such as 512kb or 10mb' }) max_size!: string;
  @IsInt() @Min(1) @Max(100) max_files!: number;
}

export class QueueSection {
  @Matches(/^[A-Za-z0-9:_{}.-]{1,64}$/, { message: 'prefix may hold letters, digits and : _ { } . - only' })
  prefix!: string;
  @IsInt() @Min(1) @Max(200) concurrency!: number;
  @IsInt() @Min(0) @Max(25) max_retries!: number;
  @IsInt() @Min(0) @Max(3_600_000) backoff_ms!: number;
  @IsOptional()
  @IsObject()
  @IsPerTypeConcurrency()
  concurrency_by_type?: Record<string, number>;
  @Matches(DURATION, { message: 'retention must be a duration such as 3600, 30m, 24h or 7d' }) retention!: string;
  @IsInt() @Min(1) @Max(10_000_000) retention_count!: number;
  @IsInt() @Min(0) @Max(600_000) shutdown_timeout_ms!: number;
}

/** `probe_port`: where a worker-only process serves its probes; 0 turns them off. */
export class WorkerSection {
  @IsInt()
  @Min(0, { message: 'probe_port must be 0 (off) or a port from 1 to 65535' })
  @Max(65535, { message: 'probe_port must be 0 (off) or a port from 1 to 65535' })
  probe_port!: number;
}

export class AdminSection {
  @Matches(/^[A-Za-z0-9._-]{3,64}$/, { message: 'username must be 3-64 letters, digits, dots, dashes or underscores' })
  username!: string;
  @IsOptional() @IsString() @MinLength(8) @MaxLength(256) password?: string;
}

export class AuthSection {
  @IsInt() @Min(1) @Max(1000) login_max_failures!: number;
  @IsInt() @Min(1) @Max(86_400) login_window_seconds!: number;
  @IsInt() @Min(1) @Max(1_000_000) login_daily_failures!: number;
}

/** Per-user quotas, counted in Redis so every API replica shares them. */
export class QuotaSection {
  @IsInt() @Min(1) @Max(1_000_000) enqueue_per_minute!: number;
  @IsInt() @Min(1) @Max(10_000) event_streams!: number;
}

/** The key monitor credentials are sealed under, when not derived from jwt.secret; and the one before it. */
export class CredentialsSection {
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'key must be at least 32 characters long' })
  key?: string;
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'previous_key must be at least 32 characters long' })
  previous_key?: string;
}

export class MetricsSection {
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'token must be at least 16 characters long' })
  token?: string;
  /** Lets production serve /metrics without a token (behind a network that keeps it private). */
  @IsBoolean() public!: boolean;
}

/** `webhook.allowed_hosts`: host names or IP addresses, as a JSON array or a comma-separated string. */
function IsHostList() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isHostList',
      target: target.constructor,
      propertyName,
      options: {
        message: 'allowed_hosts must be host names or IP addresses, as a JSON array or a comma-separated list',
      },
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' || (Array.isArray(value) && value.every((host) => typeof host === 'string'))) &&
          splitHostList(value).every((host) => /^[a-z0-9.:_-]{1,253}$/i.test(host)),
      },
    });
}

/** The hosts of `webhook.allowed_hosts`, lower case, without IPv6 brackets. */
export function splitHostList(value: string | string[] | undefined): string[] {
  const items = typeof value === 'string' ? value.split(',') : (value ?? []);
  return items
    .map((host) =>
      host
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1'),
    )
    .filter((host) => host !== '');
}

export class WebhookSection {
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'secret must be at least 16 characters long' })
  secret?: string;
  @IsBoolean() allow_private!: boolean;
  @IsOptional() @IsHostList() allowed_hosts?: string | string[];
  @IsInt() @Min(100) @Max(60_000) timeout_ms!: number;
  @IsInt() @Min(0) @Max(25) max_retries!: number;
  @IsInt() @Min(0) @Max(3_600_000) backoff_ms!: number;
}

export class SyncSection {
  @IsInt()
  @Min(0, { message: 'interval_seconds must be 0 (off) or a number of seconds up to 604800 (a week)' })
  @Max(604_800, { message: 'interval_seconds must be 0 (off) or a number of seconds up to 604800 (a week)' })
  interval_seconds!: number;
  @Matches(/^\S(.{0,253}\S)?$/, {
    message: 'push_group must be a host group name of 1-255 characters, without leading or trailing spaces',
  })
  push_group!: string;
}

export class ConfigSchema {
  @ValidateNested() @Type(() => ServerSection) server!: ServerSection;
  @ValidateNested() @Type(() => RedisSection) redis!: RedisSection;
  @ValidateNested() @Type(() => DatabaseSection) database!: DatabaseSection;
  @ValidateNested() @Type(() => DataSection) data!: DataSection;
  @ValidateNested() @Type(() => JwtSection) jwt!: JwtSection;
  @IsOptional() @ValidateNested() @Type(() => CredentialsSection) credentials?: CredentialsSection;
  @IsIn(ROLES, { message: `role must be one of: ${ROLES.join(', ')}` }) role!: Role;
  @ValidateNested() @Type(() => LogSection) log!: LogSection;
  @ValidateNested() @Type(() => QueueSection) queue!: QueueSection;
  @ValidateNested() @Type(() => WorkerSection) worker!: WorkerSection;
  @ValidateNested() @Type(() => AdminSection) admin!: AdminSection;
  @ValidateNested() @Type(() => AuthSection) auth!: AuthSection;
  @ValidateNested() @Type(() => QuotaSection) quota!: QuotaSection;
  @IsOptional() @ValidateNested() @Type(() => MetricsSection) metrics?: MetricsSection;
  @ValidateNested() @Type(() => SyncSection) sync!: SyncSection;
  @ValidateNested() @Type(() => WebhookSection) webhook!: WebhookSection;
}
