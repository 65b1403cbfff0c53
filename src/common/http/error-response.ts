import { ApiProperty } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';

/** Every error the API answers with, in NestJS's standard shape. */
export class ErrorResponse {
  @ApiProperty({ example: 404 }) statusCode!: number;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'What went wrong; for invalid input, one message per field, each naming it',
  })
  message!: string | string[];
  @ApiProperty({ example: 'Not Found' }) error!: string;
  @ApiProperty({ required: false, description: 'On a 429 only: seconds until the request may be sent again' })
  retry_after?: number;
  @ApiProperty({ required: false, description: 'On a 500 only: the id to find the request in the log' })
  request_id?: string;
}

/** A message the API really sends with each status, so every documented error shows its own example. */
const MESSAGES: Record<number, string | string[]> = {
  400: ['property extra should not exist'],
  401: 'Missing or malformed bearer token',
  403: 'This action needs privilege 2 or more',
  404: 'Monitor 42 not found',
  409: 'Monitor 42 is disabled',
  413: 'request entity too large',
  422: 'Idempotency-Key was already used with another request (method, path or body); use a new key',
  429: 'Too many tasks queued; try again in 12 s',
  500: 'Internal server error',
  502: 'Monitor unreachable: connection refused',
  503: 'Redis is unavailable; try again later',
};

/** The example error body for `status` (with `message` if given), as the global exception filter shapes it. */
export function errorExample(status: number, message?: string | string[]): ErrorResponse {
  const example: ErrorResponse = {
    statusCode: status,
    message: message ?? MESSAGES[status] ?? STATUS_CODES[status] ?? 'Error',
    error: STATUS_CODES[status] ?? 'Error',
  };
  if (status === 429) example.retry_after = 12;
  if (status === 500) example.request_id = '3f1c2a9e-5b7d-4c1e-9a2f-6d8b0e4c7a11';
  return example;
}
