import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PaginationQuery, PageResponseOf } from '../../common/http/pagination.dto';
import { MONITOR_TYPES, type MonitorType } from '../providers/monitor-provider';
import type { Monitor } from '../entities/monitor.entity';
import { SyncStatus } from '../entities/sync-status';
import { OptionalNotNull, PARTIAL_NOT_NULL } from './optional';
import { toBoolean } from './query-boolean';

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false };

export class CreateMonitorDto {
  @ApiProperty({ example: 'Zabbix production' }) @IsString() @MinLength(1) @MaxLength(128) name!: string;

  @ApiProperty({ example: 'http://zabbix.example.com/zabbix' })
  @IsUrl(URL_OPTIONS, { message: 'url must be an http(s) URL' })
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: MONITOR_TYPES, example: 'zabbix' })
  @IsIn(MONITOR_TYPES, { message: `type must be one of the supported types: ${MONITOR_TYPES.join(', ')}` })
  type!: MonitorType;

  @ApiProperty({ example: 'Admin' }) @IsString() @MinLength(1) @MaxLength(128) username!: string;

  @ApiProperty({ writeOnly: true, description: 'Stored encrypted; never returned' })
  @IsString()
  @MinLength(1)
  @MaxLength(256)
  password!: string;

  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(4096) description?: string;

  @ApiPropertyOptional({ default: true }) @OptionalNotNull() @IsBoolean() enabled?: boolean;
}

export class UpdateMonitorDto extends PartialType(CreateMonitorDto, PARTIAL_NOT_NULL) {}

export class MonitorQuery extends PaginationQuery {
  @ApiPropertyOptional({ description: 'Substring of the name or url' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  q?: string;

  @ApiPropertyOptional({ enum: MONITOR_TYPES }) @IsOptional() @IsIn(MONITOR_TYPES) type?: MonitorType;

  @ApiPropertyOptional({ enum: [0, 1, 2, 3] })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3)
  status?: SyncStatus;

  @ApiPropertyOptional() @IsOptional() @Transform(toBoolean) @IsBoolean() enabled?: boolean;
}

/** A monitor as the API shows it: never its password or session token. */
export class MonitorResponse {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ enum: MONITOR_TYPES }) type!: MonitorType;
  @ApiProperty() username!: string;
  @ApiProperty() description!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: [0, 1, 2, 3], description: '0 inactive, 1 active, 2 error, 3 syncing' }) status!: SyncStatus;
  @ApiProperty() status_description!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_sync_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;

  static of(monitor: Monitor): MonitorResponse {
    return {
      id: monitor.id,
      name: monitor.name,
      url: monitor.url,
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
