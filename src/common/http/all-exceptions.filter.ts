import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { redactUrl } from '../logging/redact-url';
import { DomainError, type DomainErrorKind } from './domain-error';

const STATUS_OF_KIND: Record<DomainErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  unprocessable: HttpStatus.UNPROCESSABLE_ENTITY,
  unavailable: HttpStatus.SERVICE_UNAVAILABLE,
  upstream: HttpStatus.BAD_GATEWAY,
};

/**
 * Every error leaves in Nest's shape `{statusCode, message, error}`. Our own faults become a 500 that
 * carries the request id and is logged with its stack; the stack and the cause never reach the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const res = http.getResponse<Response>();
    const req = http.getRequest<Request & { id?: string }>();
    if (res.headersSent) return;

    if (exception instanceof HttpException) {
      const body = withRedactedUrl(this.httpBody(exception), req.originalUrl);
      // A refusal that says when to come back (the login limiter's 429) says it in the standard header too.
      const retryAfter = (body as { retry_after?: unknown }).retry_after;
      if (typeof retryAfter === 'number') res.setHeader('Retry-After', String(retryAfter));
      res.status(exception.getStatus()).json(body);
      return;
    }
    if (exception instanceof DomainError) {
      const status = STATUS_OF_KIND[exception.kind];
      res.status(status).json({ statusCode: status, message: exception.message, error: STATUS_CODES[status] });
      return;
    }
    const requestId = req.id ?? String(res.getHeader('X-Request-ID') ?? '');
    this.logger.error({ msg: 'unhandled error', request_id: requestId, err: exception });
    res.status(HttpStatus.INTERNAL_SERVER_ERROR).json({
      statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
      message: 'Internal server error',
      error: STATUS_CODES[HttpStatus.INTERNAL_SERVER_ERROR],
      request_id: requestId,
    });
  }

  private httpBody(exception: HttpException): object {
    const status = exception.getStatus();
    const response = exception.getResponse();
    if (typeof response === 'string') return { statusCode: status, message: response, error: STATUS_CODES[status] };
    const body = response as Record<string, unknown>;
    // Terminus answers with its own report (status/info/error/details); keep it whole for probes and operators.
    if ('details' in body) return body;
    return { statusCode: status, error: STATUS_CODES[status], ...body };
  }
}

/**
 * The body with the request's URL, where a message repeats it (Nest's `Cannot GET /path?query` 404), redacted as in
 * the request log: a token sent in the query string is not echoed back for proxies and browsers to keep.
 */
function withRedactedUrl(body: object, url: string | undefined): object {
  const message = (body as { message?: unknown }).message;
  if (!url || typeof message !== 'string' || !message.includes(url)) return body;
  const redacted = redactUrl(url);
  return redacted === url ? body : { ...body, message: message.replace(url, redacted) };
}
