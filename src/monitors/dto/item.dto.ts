import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { MAX_ID } from '../../common/http/id-param.pipe';
import { PaginationQuery, PageResponseOf } from '../../common/http/pagination.dto';
import { OptionalNotNull, PARTIAL_NOT_NULL } from '../../common/http/optional';
import { type Item, ITEM_STATES, type ItemState, VALUE_TYPES } from '../entities/item.entity';
import { SyncStatus } from '../entities/sync-status';

export class CreateItemDto {
  @ApiProperty({ example: 'CPU load' }) @IsString() @MinLength(1) @MaxLength(255) name!: string;

  @ApiProperty({ example: 'system.cpu.load[all,avg1]' }) @IsString() @MinLength(1) @MaxLength(2048) key!: string;

  @ApiPropertyOptional({
    enum: VALUE_TYPES,
    default: 0,
    description: '0 float, 1 character, 2 log, 3 unsigned, 4 text',
  })
  @OptionalNotNull()
  @IsIn(VALUE_TYPES, { message: 'value_type must be 0, 1, 2, 3 or 4' })
  value_type?: number;

  @ApiPropertyOptional({ example: '%' }) @OptionalNotNull() @IsString() @MaxLength(255) units?: string;

  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(4096) description?: string;

  @ApiPropertyOptional({ default: true }) @OptionalNotNull() @IsBoolean() enabled?: boolean;
}

export class UpdateItemDto extends PartialType(CreateItemDto, PARTIAL_NOT_NULL) {}

export class ItemQuery extends PaginationQuery {
  @ApiPropertyOptional() @OptionalNotNull() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_ID) host_id?: number;

  @ApiPropertyOptional({ enum: [0, 1, 2, 3] })
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3)
  status?: SyncStatus;

  @ApiPropertyOptional({ enum: ITEM_STATES, description: 'Whether the monitor can collect the item' })
  @OptionalNotNull()
  @IsIn(ITEM_STATES, { message: 'state must be normal or not_supported' })
  state?: ItemState;

  @ApiPropertyOptional({ description: 'Substring of the name or key' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(255)
  q?: string;
}

/** GET /hosts/:id/items: the filters of GET /items, the host given by the path. */
export class HostItemQuery extends OmitType(ItemQuery, ['host_id'] as const) {}

export class ItemResponse {
  @ApiProperty() id!: number;
  @ApiProperty() host_id!: number;
  @ApiProperty({
    example: 'Requests of frontend',
    description:
      'As operators see it: pulled from Zabbix 7.0, its name_resolved (user macros such as {$ROLE} expanded)',
  })
  name!: string;
  @ApiProperty() key!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The item id on the monitor' }) external_id!: string | null;
  @ApiProperty() value_type!: number;
  @ApiProperty({ nullable: true, type: String }) last_value!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the monitor collected last_value; null when it never did',
  })
  last_clock!: string | null;
  @ApiProperty() units!: string;
  @ApiProperty() description!: string;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ enum: ITEM_STATES, description: 'Whether the monitor can collect the item' }) state!: ItemState;
  @ApiProperty({ description: "The monitor's reason when state is not_supported" }) state_error!: string;
  @ApiProperty({ enum: [0, 1, 2, 3] }) status!: SyncStatus;
  @ApiProperty() status_description!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) last_sync_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;

  static of(item: Item): ItemResponse {
    return {
      id: item.id,
      host_id: item.hostId,
      name: item.name,
      key: item.key,
      external_id: item.externalId,
      value_type: item.valueType,
      last_value: item.lastValue,
      last_clock: item.lastClock?.toISOString() ?? null,
      units: item.units,
      description: item.description,
      enabled: item.enabled,
      state: item.state,
      state_error: item.stateError,
      status: item.status,
      status_description: item.statusDescription,
      last_sync_at: item.lastSyncAt?.toISOString() ?? null,
      created_at: item.createdAt.toISOString(),
      updated_at: item.updatedAt.toISOString(),
    };
  }
}

export class ItemPageResponse extends PageResponseOf(ItemResponse) {}

export class GroupResponse {
  @ApiProperty() id!: number;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: Number }) monitor_id!: number | null;
  @ApiProperty({ nullable: true, type: String }) external_id!: string | null;
}

export class SyncCountsResponse {
  @ApiProperty() added!: number;
  @ApiProperty({ description: 'Rows whose stored fields changed' }) updated!: number;
  @ApiProperty({ description: 'Rows the monitor reported as they were stored, left unwritten' }) unchanged!: number;
  @ApiProperty({ description: 'Rows that disappeared from the monitor in this sync (now status 2), not in total' })
  vanished!: number;
  @ApiProperty() failed!: number;
  @ApiProperty({ description: 'Rows the monitor reported: added + updated + unchanged + failed' }) total!: number;
}

export class ItemSyncCountsResponse extends SyncCountsResponse {
  @ApiProperty({ description: 'Reported items the monitor cannot collect (state not_supported)' })
  unsupported!: number;
}

export class SyncResultResponse extends SyncCountsResponse {
  @ApiPropertyOptional({ description: 'For a pull of items: those the monitor cannot collect (not_supported)' })
  unsupported?: number;
  @ApiPropertyOptional({ description: 'For a pull of hosts: the counts of their items', type: ItemSyncCountsResponse })
  items?: ItemSyncCountsResponse;
  @ApiPropertyOptional({
    description:
      'For a delete on the monitor (a push task with delete): 1 when the monitor deleted it, 0 when it no longer had it',
  })
  deleted?: number;
}
