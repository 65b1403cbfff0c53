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
import { TASK_TYPES } from '../queue/task-types';
import { IsSentinelList } from './redis-connection';

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
  @IsBoolean() trust_proxy!: boolean;
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
  @IsString() @IsNotEmpty() dir!: string;
  @IsIn(LOG_LEVELS) level!: LogLevel;
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

export class AdminSection {
  @Matches(/^[A-Za-z0-9._-]{3,64}$/, { message: 'username must be 3-64 letters, digits, dots, dashes or underscores' })
  username!: string;
  @IsOptional() @IsString() @MinLength(8) @MaxLength(256) password?: string;
}

export class AuthSection {
  @IsInt() @Min(1) @Max(1000) login_max_failures!: number;
  @IsInt() @Min(1) @Max(86_400) login_window_seconds!: number;
}

export class MetricsSection {
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'token must be at least 16 characters long' })
  token?: string;
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
}

export class ConfigSchema {
  @ValidateNested() @Type(() => ServerSection) server!: ServerSection;
  @ValidateNested() @Type(() => RedisSection) redis!: RedisSection;
  @ValidateNested() @Type(() => DatabaseSection) database!: DatabaseSection;
  @ValidateNested() @Type(() => DataSection) data!: DataSection;
  @ValidateNested() @Type(() => JwtSection) jwt!: JwtSection;
  @IsIn(ROLES, { message: `role must be one of: ${ROLES.join(', ')}` }) role!: Role;
  @ValidateNested() @Type(() => LogSection) log!: LogSection;
  @ValidateNested() @Type(() => QueueSection) queue!: QueueSection;
  @ValidateNested() @Type(() => AdminSection) admin!: AdminSection;
  @ValidateNested() @Type(() => AuthSection) auth!: AuthSection;
  @IsOptional() @ValidateNested() @Type(() => MetricsSection) metrics?: MetricsSection;
  @ValidateNested() @Type(() => SyncSection) sync!: SyncSection;
  @ValidateNested() @Type(() => WebhookSection) webhook!: WebhookSection;
}
