import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MAX_ID } from '../../common/http/id-param.pipe';
import { PaginationQuery, PageResponseOf } from '../../common/http/pagination.dto';
import { OptionalNotNull, PARTIAL_NOT_NULL } from './optional';
import type { Host } from '../entities/host.entity';
import { SyncStatus } from '../entities/sync-status';

export class CreateHostDto {
  @ApiProperty({ example: 'web-01' }) @IsString() @MinLength(1) @MaxLength(255) name!: string;

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

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'null: in no group' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  group_id?: number | null;

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
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_ID) monitor_id?: number;
  @ApiPropertyOptional() @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_ID) group_id?: number;

  @ApiPropertyOptional({ enum: [0, 1, 2, 3] })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3)
  status?: SyncStatus;

  @ApiPropertyOptional({ description: 'Substring of the name or IP' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  q?: string;
}

export class HostResponse {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: Number }) monitor_id!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'The host id on the monitor' }) external_id!: string | null;
  @ApiProperty({ nullable: true, type: Number }) group_id!: number | null;
  @ApiProperty({ nullable: true, type: String }) ip_addr!: string | null;
  @ApiProperty() description!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: [0, 1, 2, 3] }) status!: SyncStatus;
  @ApiProperty() status_description!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_sync_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;

  static of(host: Host): HostResponse {
    return {
      id: host.id,
      name: host.name,
      monitor_id: host.monitorId,
      external_id: host.externalId,
      group_id: host.groupId,
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
