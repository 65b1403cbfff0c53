import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { OptionalNotNull } from '../../common/http/optional';

export const EVENT_KINDS = ['problem', 'update', 'recovery'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
const ZABBIX_ID = /^\d{1,20}$/;
const isRecovery = (event: ZabbixEventDto) => event.kind === 'recovery';
/** 2038-01-19T03:14:07Z: Zabbix keeps its clocks as 32-bit integers, and so does every number this API takes. */
const MAX_CLOCK = 2_147_483_647;

/** An optional UNIX time in seconds, from 0 to MAX_CLOCK; a 400 names the field. */
function OptionalUnixSeconds(field: string, example: number, description: string): PropertyDecorator {
  const message = `${field} must be a UNIX time in seconds: an integer from 0`;
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_CLOCK, example, description }),
    OptionalNotNull(),
    IsInt({ message }),
    Min(0, { message }),
    Max(MAX_CLOCK, { message }),
  );
}

/** An event the monitor's webhook media type posts (deploy/zabbix/nagare-media-type.json builds it from macros). */
export class ZabbixEventDto {
  @ApiProperty({ example: '4281', description: 'The problem event id ({EVENT.ID}; on recovery still the problem’s)' })
  @IsString()
  @Matches(ZABBIX_ID, { message: 'event_id must be a Zabbix id: 1 to 20 digits' })
  event_id!: string;

  @ApiProperty({
    enum: EVENT_KINDS,
    description: 'problem: it began; update: it was acknowledged or changed; recovery: Zabbix closed it',
  })
  @IsIn(EVENT_KINDS, { message: `kind must be one of: ${EVENT_KINDS.join(', ')}` })
  kind!: EventKind;

  @ApiPropertyOptional({ example: 'High CPU on web-01', description: 'The problem’s name; required but on recovery' })
  @ValidateIf((event: ZabbixEventDto) => !isRecovery(event) || event.name !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  name?: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 5,
    description: 'Zabbix severity 0–5; required but on recovery',
  })
  @ValidateIf((event: ZabbixEventDto) => !isRecovery(event) || event.severity !== undefined)
  @IsInt({ message: 'severity must be an integer from 0 to 5' })
  @Min(0, { message: 'severity must be an integer from 0 to 5' })
  @Max(5, { message: 'severity must be an integer from 0 to 5' })
  severity?: number;

  @ApiPropertyOptional({
    description:
      'Whether the problem is acknowledged on Zabbix: false makes an alert that Zabbix had acknowledged active again; ' +
      'absent leaves the acknowledgement as it is (a new alert is active)',
  })
  @OptionalNotNull()
  @IsBoolean()
  acknowledged?: boolean;

  @OptionalUnixSeconds(
    'clock',
    1765112531,
    'When it happened on Zabbix, in UNIX seconds: on a recovery when Zabbix closed the problem, else when the ' +
      'problem began. Absent, or ahead of Nagare’s clock: the time the event arrives',
  )
  clock?: number;

  @OptionalUnixSeconds(
    'as_of',
    1765112533,
    'When Zabbix read what this event says (its `acknowledged`), in UNIX seconds: when it made the alert that ' +
      'sent it. An acknowledgement Nagare sent to Zabbix after that is not undone by this event, however late it ' +
      'arrives. Absent, or ahead of Nagare’s clock: the time the event arrives',
  )
  as_of?: number;

  @ApiPropertyOptional({ example: '10501', description: 'The trigger’s host id on Zabbix ({HOST.ID})' })
  @OptionalNotNull()
  @IsString()
  @Matches(ZABBIX_ID, { message: 'host_id must be a Zabbix id: 1 to 20 digits' })
  host_id?: string;

  @ApiPropertyOptional({ example: '40001', description: 'The trigger’s item id on Zabbix ({ITEM.ID})' })
  @OptionalNotNull()
  @IsString()
  @Matches(ZABBIX_ID, { message: 'item_id must be a Zabbix id: 1 to 20 digits' })
  item_id?: string;
}

/** What POST /monitors/:id/events answers. */
export class ZabbixEventResponse {
  @ApiProperty({ example: '4281' }) event_id!: string;
  @ApiProperty({
    enum: ['added', 'updated', 'resolved', 'unchanged'],
    example: 'added',
    description: 'What the event did; the same event posted again answers unchanged',
  })
  outcome!: 'added' | 'updated' | 'resolved' | 'unchanged';
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 17,
    description: 'The alert; null for the recovery of an unknown problem',
  })
  alert_id!: number | null;
}

/** What POST /monitors/:id/event-token answers, once. */
export class EventTokenResponse {
  @ApiProperty({ type: 'integer', example: 1 }) monitor_id!: number;
  @ApiProperty({
    example: 'nge_0Nq3xv1d8bS2e7Qf5mKp9LwZr4Tc6YhAa1Bb2Cc3Dd4',
    description: 'Shown only now: give it to the media type. Stored hashed; a new one replaces it',
  })
  event_token!: string;
}
