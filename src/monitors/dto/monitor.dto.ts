import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { PaginationQuery, PageResponseOf } from '../../common/http/pagination.dto';
import { hasUserinfo, redactMonitorUrl } from '../monitor-url';
import { MONITOR_TYPES, type MonitorType } from '../providers/monitor-provider';
import type { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import { OptionalNotNull, PARTIAL_NOT_NULL } from '../../common/http/optional';
import { toBoolean } from './query-boolean';

/** Zabbix issues 64 hex characters; the bound leaves room for other servers' tokens. */
const API_TOKEN_MAX_LENGTH = 512;

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

/** Credentials belong in the write-only username and password, not in a URL that is stored and shown. */
const NoUserinfo = () =>
  ValidateBy({
    name: 'noUserinfo',
    validator: {
      validate: (value) => typeof value !== 'string' || !hasUserinfo(value),
      defaultMessage: () => 'url must not carry credentials (user:password@); send them as username and password',
    },
  });

/**
 * username and password: required unless the monitor authenticates with api_token, so that a body with neither
 * names them in its 400 with every other missing field. Both kinds at once are refused by the service.
 */
const RequiredUnlessApiToken = (): PropertyDecorator => (target, key) => {
  ValidateIf((body: { api_token?: unknown }, value: unknown) => value !== undefined || body.api_token === undefined)(
    target,
    key,
  );
  IsDefined({ message: '$property is required unless api_token is given' })(target, key);
};

export class CreateMonitorDto {
  @ApiProperty({ example: 'Zabbix production' }) @IsString() @MinLength(1) @MaxLength(128) name!: string;

  @ApiProperty({
    example: 'http://zabbix.example.com/zabbix',
    description:
      'Without user:password@; shown with the values of parameters named like secrets as ***. ' +
      'Changing it (or type) needs username and password, or api_token, in the same request.',
  })
  @IsUrl(URL_OPTIONS, { message: 'url must be an http(s) URL' })
  @NoUserinfo()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: MONITOR_TYPES, example: 'zabbix' })
  @IsIn(MONITOR_TYPES, { message: `type must be one of the supported types: ${MONITOR_TYPES.join(', ')}` })
  type!: MonitorType;

  @ApiPropertyOptional({ example: 'Admin', description: 'With password, unless api_token is given' })
  @RequiredUnlessApiToken()
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  username?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description: 'With username, unless api_token is given. Stored encrypted; never returned',
  })
  @RequiredUnlessApiToken()
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password?: string;

  @ApiPropertyOptional({
    writeOnly: true,
    description:
      'A Zabbix API token, instead of username and password: no user.login is made. Stored encrypted; never returned',
  })
  @OptionalNotNull()
  @IsString({ message: 'api_token must be a string' })
  @MinLength(1, { message: 'api_token must not be empty' })
  @MaxLength(API_TOKEN_MAX_LENGTH, { message: `api_token must be at most ${API_TOKEN_MAX_LENGTH} characters` })
  api_token?: string;

  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(4096) description?: string;

  @ApiPropertyOptional({ default: true }) @OptionalNotNull() @IsBoolean() enabled?: boolean;
}

export class UpdateMonitorDto extends PartialType(CreateMonitorDto, PARTIAL_NOT_NULL) {}

export class MonitorQuery extends PaginationQuery {
  @ApiPropertyOptional({ description: 'Substring of the name or of the url as shown (secrets redacted)' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(128)
  q?: string;

  @ApiPropertyOptional({ enum: MONITOR_TYPES }) @OptionalNotNull() @IsIn(MONITOR_TYPES) type?: MonitorType;

  @ApiPropertyOptional({ enum: [0, 1, 2, 3, 4] })
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(4)
  status?: SyncStatus;

  @ApiPropertyOptional() @OptionalNotNull() @Transform(toBoolean) @IsBoolean() enabled?: boolean;
}

/** A monitor as the API shows it: never its password, API token or session token. */
export class MonitorResponse {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'As stored, with userinfo and the values of parameters named like secrets as ***' })
  url!: string;
  @ApiProperty({ enum: MONITOR_TYPES }) type!: MonitorType;
  @ApiProperty({ description: 'Empty when the monitor authenticates with an API token' }) username!: string;
  @ApiProperty() description!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: [0, 1, 2, 3, 4], description: '0 inactive, 1 active, 2 error, 3 syncing, 4 auth_failed' })
  status!: SyncStatus;
  @ApiProperty() status_description!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_sync_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;

  static of(monitor: Monitor): MonitorResponse {
    return {
      id: monitor.id,
      name: monitor.name,
      url: redactMonitorUrl(monitor.url),
      type: monitor.type,
      username: monitor.username,
      description: monitor.description,
      enabled: monitor.enabled,
      status: monitor.status,
      status_description: monitor.statusDescription,
      last_sync_at: monitor.lastSyncAt?.toISOString() ?? null,
      created_at: monitor.createdAt.toISOString(),
      updated_at: monitor.updatedAt.toISOString(),
    };
  }
}

export class MonitorPageResponse extends PageResponseOf(MonitorResponse) {}
