import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { MAX_ID } from '../../common/http/id-param.pipe';
import { PaginationQuery, PageResponseOf } from '../../common/http/pagination.dto';
import { OptionalNotNull, PARTIAL_NOT_NULL } from '../../common/http/optional';
import type { Host } from '../entities/host.entity';
import { SyncStatus } from '../entities/sync-status';

/** A host with the ids of all its groups, in order. */
export type HostWithGroups = Host & { groupIds: number[] };

/** Zabbix's rule for a technical host name: letters, digits, space, dot, dash, underscore; no space at either end. */
export const TECHNICAL_NAME = /^[0-9A-Za-z._-](?:[0-9A-Za-z ._-]*[0-9A-Za-z._-])?$/;
/** More groups than any host needs, so one body cannot make a push of thousands of group look-ups. */
const MAX_GROUPS = 100;

export class CreateHostDto {
  @ApiProperty({ example: 'web-01' }) @IsString() @MinLength(1) @MaxLength(255) name!: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'web-01',
    description:
      "The monitor's technical host name (Zabbix `host`, the name agents use): ASCII letters, digits, space, dot, " +
      'dash and underscore, no space at either end, up to 128. null or absent: a push derives it from `name`.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  @Matches(TECHNICAL_NAME, {
    message:
      'technical_name may hold only ASCII letters, digits, space, dot, dash and underscore, not starting or ending with a space',
  })
  technical_name?: string | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'The monitor it belongs to; a host may exist before it is pushed. null detaches it.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  monitor_id?: number | null;

  @ApiPropertyOptional({
    type: Number,
    nullable: true,
    description: 'Puts the host in this one group (null: in none). With group_ids, it must be their first.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  group_id?: number | null;

  @ApiPropertyOptional({
    type: [Number],
    example: [3, 7],
    description: 'Every group of the host, the first one becoming its group_id; [] puts it in none',
  })
  @OptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_GROUPS)
  @ArrayUnique()
  @IsInt({ each: true })
  @Min(1, { each: true })
  @Max(MAX_ID, { each: true })
  group_ids?: number[];

  @ApiPropertyOptional({ type: String, nullable: true, example: '10.0.0.12' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  ip_addr?: string | null;

  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(4096) description?: string;

  @ApiPropertyOptional({ default: true }) @OptionalNotNull() @IsBoolean() enabled?: boolean;
}

export class UpdateHostDto extends PartialType(CreateHostDto, PARTIAL_NOT_NULL) {}

export class HostQuery extends PaginationQuery {
  @ApiPropertyOptional() @OptionalNotNull() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_ID) monitor_id?: number;
  @ApiPropertyOptional({ description: 'Hosts in this group, whichever of their groups it is' })
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  group_id?: number;

  @ApiPropertyOptional({ enum: [0, 1, 2, 3] })
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3)
  status?: SyncStatus;

  @ApiPropertyOptional({ description: 'Substring of the name, technical name or IP' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(255)
  q?: string;
}

/** GET /monitors/:id/hosts: the filters of GET /hosts, the monitor given by the path. */
export class MonitorHostQuery extends OmitType(HostQuery, ['monitor_id'] as const) {}

export class HostResponse {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'web-01',
    description: 'Zabbix `host`; null until given, pulled or derived by a push',
  })
  technical_name!: string | null;
  @ApiProperty({ nullable: true, type: Number }) monitor_id!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'The host id on the monitor' }) external_id!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The first of group_ids' }) group_id!: number | null;
  @ApiProperty({ type: [Number], example: [3, 7], description: 'Every group of the host, group_id first' })
  group_ids!: number[];
  @ApiProperty({ nullable: true, type: String }) ip_addr!: string | null;
  @ApiProperty() description!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: [0, 1, 2, 3] }) status!: SyncStatus;
  @ApiProperty() status_description!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_sync_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;

  static of(host: HostWithGroups): HostResponse {
    return {
      id: host.id,
      name: host.name,
      technical_name: host.technicalName,
      monitor_id: host.monitorId,
      external_id: host.externalId,
      group_id: host.groupId,
      group_ids: host.groupIds,
      ip_addr: host.ipAddr,
      description: host.description,
      enabled: host.enabled,
      status: host.status,
      status_description: host.statusDescription,
      last_sync_at: host.lastSyncAt?.toISOString() ?? null,
      created_at: host.createdAt.toISOString(),
      updated_at: host.updatedAt.toISOString(),
    };
  }
}

export class HostPageResponse extends PageResponseOf(HostResponse) {}
