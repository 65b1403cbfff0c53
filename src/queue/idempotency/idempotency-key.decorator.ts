import { applyDecorators, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { AuthenticatedRequest } from '../../auth/decorators';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENT_REPLAYED_HEADER,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parseIdempotencyKey,
  requestFingerprint,
} from './idempotency-key';
import type { IdempotencyKeyed } from './idempotent-tasks.service';

/**
 * The request's `Idempotency-Key`, scoped to the signed-in user and bound to what the request asks, or undefined
 * when it sent none. A malformed key is a 400 naming the header, before anything else is done.
 */
export const IdempotencyKey = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IdempotencyKeyed | undefined => {
    const req = context.switchToHttp().getRequest<Request & AuthenticatedRequest>();
    const key = parseIdempotencyKey(req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()]);
    if (key === undefined) return undefined;
    const res = context.switchToHttp().getResponse<Response>();
    const path = req.originalUrl.split('?')[0];
    return {
      userId: req.user.id,
      key,
      fingerprint: requestFingerprint({ method: req.method, path, query: req.query, body: req.body }),
      markReplayed: () => res.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true'),
    };
  },
);

/** What the OpenAPI document says of the header on every route that reads it. */
export const IDEMPOTENT_REPLAYED_RESPONSE_HEADER = {
  [IDEMPOTENT_REPLAYED_HEADER]: {
    description: '`true` when this answer returns the task an earlier request with the same Idempotency-Key got',
    schema: { type: 'string', enum: ['true'] },
  },
};

export const IdempotentRoute = () =>
  applyDecorators(
    ApiHeader({
      name: IDEMPOTENCY_KEY_HEADER,
      required: false,
      description:
        `1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters (a UUID, say), kept 24 h per user. With ` +
        'a key, retrying is safe, after a 503 too: the same request with the same key returns the same task ' +
        '(202, Idempotent-Replayed: true) and never queues a second one. Without one, a 503 means "not known to ' +
        'be queued": the task may still run',
      schema: { type: 'string', minLength: 1, maxLength: MAX_IDEMPOTENCY_KEY_LENGTH },
    }),
    ApiUnprocessableEntityResponse({
      description: 'This Idempotency-Key was used with another method, path or body; nothing was queued',
    }),
  );
