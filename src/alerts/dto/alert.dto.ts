import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { MAX_ID } from '../../common/http/id-param.pipe';
import { IsIn, IsInt, IsISO8601, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { PaginationQuery, PageResponseOf } from '../../common/http/pagination.dto';
import { MAX_TEST_ALERTS } from '../../queue/task-payloads';
import type { Alert } from '../entities/alert.entity';
import {
  ALERT_SEVERITIES,
  ALERT_SOURCES,
  ALERT_STATUSES,
  AlertSeverity,
  type AlertSource,
  AlertStatus,
} from '../entities/alert-levels';
import { OptionalNotNull } from '../../common/http/optional';

const SEVERITY_TEXT = '0 info, 1 warning, 2 critical, 3 disaster';
const STATUS_TEXT = '0 active, 1 acknowledged, 2 resolved';
const SEVERITY_MESSAGE = 'severity must be 0 (info), 1 (warning), 2 (critical) or 3 (disaster)';
const ISO_DATE_TIME = { strict: true, strictSeparator: true };
const SOURCE_TEXT = 'zabbix: a problem on a monitor (Zabbix owns its state); test: the test generator, or made by hand';

export class CreateAlertDto {
  @ApiProperty({ example: 'High CPU usage detected' }) @IsString() @MinLength(1) @MaxLength(1024) message!: string;

  @ApiProperty({ enum: ALERT_SEVERITIES, description: SEVERITY_TEXT })
  @IsIn(ALERT_SEVERITIES, { message: SEVERITY_MESSAGE })
  severity!: AlertSeverity;

  @ApiPropertyOptional({ description: 'The host it is about; taken from the item when only item_id is given' })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  host_id?: number;

  @ApiPropertyOptional({ description: 'The item it is about, which must be on host_id when both are given' })
  @OptionalNotNull()
  @IsInt()
  @Min(1)
  @Max(MAX_ID)
  item_id?: number;

  @ApiPropertyOptional({ default: '' }) @OptionalNotNull() @IsString() @MaxLength(4096) comment?: string;
}

/** Acknowledge or resolve an alert (who and when are recorded), and/or set its comment. */
export class UpdateAlertDto {
  @ApiPropertyOptional({
    enum: [AlertStatus.Acknowledged, AlertStatus.Resolved],
    description: '1 acknowledge, 2 resolve. A resolved alert cannot be acknowledged (409)',
  })
  @OptionalNotNull()
  @IsIn([AlertStatus.Acknowledged, AlertStatus.Resolved], { message: 'status must be 1 (acknowledge) or 2 (resolve)' })
  status?: AlertStatus.Acknowledged | AlertStatus.Resolved;

  @ApiPropertyOptional() @OptionalNotNull() @IsString() @MaxLength(4096) comment?: string;
}

export class AlertQuery extends PaginationQuery {
  @ApiPropertyOptional({ enum: ALERT_SEVERITIES, description: SEVERITY_TEXT })
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(3)
  severity?: AlertSeverity;

  @ApiPropertyOptional({ enum: ALERT_STATUSES, description: STATUS_TEXT })
  @OptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(2)
  status?: AlertStatus;

  @ApiPropertyOptional() @OptionalNotNull() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_ID) host_id?: number;

  @ApiPropertyOptional() @OptionalNotNull() @Type(() => Number) @IsInt() @Min(1) @Max(MAX_ID) item_id?: number;

  @ApiPropertyOptional({ enum: ALERT_SOURCES, description: SOURCE_TEXT })
  @OptionalNotNull()
  @IsIn(ALERT_SOURCES, { message: `source must be one of: ${ALERT_SOURCES.join(', ')}` })
  source?: AlertSource;

  @ApiPropertyOptional({ description: 'Substring of the message, any case' })
  @OptionalNotNull()
  @IsString()
  @MaxLength(1024)
  q?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after this instant (ISO 8601)' })
  @OptionalNotNull()
  @IsISO8601(ISO_DATE_TIME, { message: 'from must be an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z' })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or before this instant (ISO 8601)' })
  @OptionalNotNull()
  @IsISO8601(ISO_DATE_TIME, { message: 'to must be an ISO 8601 date-time, e.g. 2025-01-31T12:00:00Z' })
  to?: string;
}

/** Query text that is a plain integer becomes a number; anything else stays text for @IsInt to refuse. */
const integerText = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number(value) : value;

const COUNT_MESSAGE = `count must be an integer from 1 to ${MAX_TEST_ALERTS}`;

export class GenerateTestAlertsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_TEST_ALERTS, default: 5 })
  @OptionalNotNull()
  @Transform(integerText)
  @IsInt({ message: COUNT_MESSAGE })
  @Min(1, { message: COUNT_MESSAGE })
  @Max(MAX_TEST_ALERTS, { message: COUNT_MESSAGE })
  count: number = 5;
}

export class AlertResponse {
  @ApiProperty() id!: number;
  @ApiProperty() message!: string;
  @ApiProperty({ enum: ALERT_SEVERITIES, description: SEVERITY_TEXT }) severity!: AlertSeverity;
  @ApiProperty({ enum: ALERT_STATUSES, description: STATUS_TEXT }) status!: AlertStatus;
  @ApiProperty({ nullable: true, type: Number }) host_id!: number | null;
  @ApiProperty({ nullable: true, type: Number }) item_id!: number | null;
  @ApiProperty() comment!: string;
  @ApiProperty({ enum: ALERT_SOURCES, description: SOURCE_TEXT }) source!: AlertSource;
  @ApiProperty({ nullable: true, type: Number, description: 'The monitor it comes from (zabbix alerts)' })
  monitor_id!: number | null;
  @ApiProperty({ nullable: true, type: String, example: '4281', description: 'The event id on the monitor' })
  external_id!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Username; null when it was acknowledged on the monitor',
  })
  acknowledged_by!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) acknowledged_at!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    format: 'date-time',
    description:
      'When an acknowledgement made here reached the monitor (its acknowledge_alert task); null until then, and ' +
      'for one made on the monitor or an alert of ours',
  })
  acknowledgement_sent_at!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'Username' }) resolved_by!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) resolved_at!: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) created_at!: string;
  @ApiProperty({ type: String, format: 'date-time' }) updated_at!: string;

  static of(alert: Alert): AlertResponse {
    return {
      id: alert.id,
      message: alert.message,
      severity: alert.severity,
      status: alert.status,
      host_id: alert.hostId,
      item_id: alert.itemId,
      comment: alert.comment,
      source: alert.source,
      monitor_id: alert.monitorId,
      external_id: alert.externalId,
      acknowledged_by: alert.acknowledgedBy,
      acknowledged_at: alert.acknowledgedAt?.toISOString() ?? null,
      acknowledgement_sent_at: alert.acknowledgementSentAt?.toISOString() ?? null,
      resolved_by: alert.resolvedBy,
      resolved_at: alert.resolvedAt?.toISOString() ?? null,
      created_at: alert.createdAt.toISOString(),
      updated_at: alert.updatedAt.toISOString(),
    };
  }
}

export class AlertPageResponse extends PageResponseOf(AlertResponse) {}

export class AlertScoreResponse {
  @ApiProperty({
    type: 'integer',
    example: 78,
    minimum: 0,
    maximum: 100,
    description: '100 with nothing active or acknowledged; lower as more and heavier alerts are open',
  })
  score!: number;
}

export class TestAlertsGeneratedResponse {
  @ApiProperty({ example: 'Test alerts generated' }) message!: string;
  @ApiProperty({ type: 'integer', example: 5 }) count!: number;
}

/** What POST /alerts/generate-test-async answers with 202: the queued task, never deduplicated. */
export class TestAlertsQueuedResponse {
  @ApiProperty({ example: 'Test alert generation task queued' }) message!: string;
  @ApiProperty({ example: 'generate_alerts:42' }) task_id!: string;
  @ApiProperty({ type: 'integer', example: 5 }) count!: number;
}
