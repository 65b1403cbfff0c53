import { ApiProperty } from '@nestjs/swagger';

class IndicatorStatus {
  @ApiProperty({ enum: ['up', 'down'] }) status!: string;
  @ApiProperty({ required: false, description: 'Why it is down' }) message?: string;
}

/** Terminus's report: overall status, and each indicator under info (up) or error (down) and details (all). */
export class HealthResponse {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] }) status!: string;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/IndicatorStatus' } })
  info!: Record<string, IndicatorStatus>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/IndicatorStatus' } })
  error!: Record<string, IndicatorStatus>;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/IndicatorStatus' } })
  details!: Record<string, IndicatorStatus>;
}

export { IndicatorStatus };
