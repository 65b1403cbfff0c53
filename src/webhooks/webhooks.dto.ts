import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { PageResponseOf } from '../common/http/pagination.dto';
import { MAX_CALLBACK_URL_LENGTH } from './url-policy';
import { OptionalNotNull } from '../common/http/optional';

/** The optional body of every async endpoint. */
export class CallbackBody {
  @ApiPropertyOptional({
    example: 'https://hooks.example.com/nagare',
    description:
      'Where to POST the result when the task ends (task.completed or task.dead), signed with X-Nagare-Signature. ' +
      'Must be http(s) and must not resolve to a loopback, private, link-local or metadata address',
  })
  @OptionalNotNull()
  @IsString({ message: 'callback_url must be a string' })
  @MaxLength(MAX_CALLBACK_URL_LENGTH, { message: `callback_url must be at most ${MAX_CALLBACK_URL_LENGTH} characters` })
  @Matches(/^https?:\/\/[^/?#\s]+/i, { message: 'callback_url must be an http or https URL' })
  callback_url?: string;
}

export class DeadWebhookResponse {
  @ApiProperty({ example: '1b4e28ba-2fa1-4d2e-883f-0016d3cca427' }) delivery_id!: string;
  @ApiProperty({ enum: ['task.completed', 'task.dead', 'task.cancelled'] }) event!: string;
  @ApiProperty({ example: 'pull_hosts:42' }) task_id!: string;
  @ApiProperty({
    example: 'https://hooks.example.com/nagare?token=[redacted]',
    description: 'The callback URL, with every query value and every path segment that looks like a token [redacted]',
  })
  url!: string;
  @ApiProperty({ example: 'receiver answered 500' }) error!: string;
  @ApiProperty({ example: 6 }) attempts!: number;
  @ApiProperty({ example: '2026-01-01T00:00:00.000Z' }) failed_at!: string;
}

export class DeadWebhookPageResponse extends PageResponseOf(DeadWebhookResponse) {}
