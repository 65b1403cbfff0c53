import { HttpException, HttpStatus } from '@nestjs/common';

/** A 429 that says when to come back: `retry_after` in the body, and the filter sets Retry-After from it. */
export function tooManyRequests(message: string, retryAfterSeconds: number): HttpException {
  return new HttpException(
    { statusCode: HttpStatus.TOO_MANY_REQUESTS, message, retry_after: retryAfterSeconds },
    HttpStatus.TOO_MANY_REQUESTS,
  );
}
