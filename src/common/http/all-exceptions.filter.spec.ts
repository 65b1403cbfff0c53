import {
  type ArgumentsHost,
  BadRequestException,
  HttpException,
  Logger,
  type LoggerService,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { jest } from '@jest/globals';
import { AllExceptionsFilter } from './all-exceptions.filter';
import {
  ConflictError,
  type DomainError,
  InvalidInputError,
  NotFoundError,
  ServiceUnavailableError,
  UnprocessableError,
  UpstreamError,
} from './domain-error';

interface FakeResponse {
  statusCode?: number;
  body?: unknown;
  headersSent: boolean;
  headers: Record<string, string>;
  status(code: number): FakeResponse;
  json(body: unknown): FakeResponse;
  getHeader(name: string): string | undefined;
  setHeader(name: string, value: string): void;
}

/** Just enough of Express's request and response, behind an ArgumentsHost, to watch what the filter writes. */
function fakeHttp(options: { requestId?: string; headers?: Record<string, string>; headersSent?: boolean } = {}) {
  const res: FakeResponse = {
    headersSent: options.headersSent ?? false,
    headers: options.headers ?? {},
    status(code) {
      this.statusCode = code;
      return this;
    },
    json(body) {
      this.body = body;
      return this;
    },
    getHeader(name) {
      return this.headers[name];
    },
    setHeader(name, value) {
      this.headers[name] = value;
    },
  };
  const req = { id: options.requestId };
  const host = { switchToHttp: () => ({ getResponse: () => res, getRequest: () => req }) } as unknown as ArgumentsHost;
  return { host, res };
}

function answer(exception: unknown, options?: Parameters<typeof fakeHttp>[0]): FakeResponse {
  const { host, res } = fakeHttp(options);
  new AllExceptionsFilter().catch(exception, host);
  return res;
}

describe(AllExceptionsFilter.name, () => {
  const logged: { level: string; message: unknown }[] = [];
  const capture = (level: string) => (message: unknown) => void logged.push({ level, message });
  const logger: LoggerService = {
    log: capture('log'),
    error: capture('error'),
    warn: capture('warn'),
    debug: capture('debug'),
    verbose: capture('verbose'),
  };

  beforeAll(() => Logger.overrideLogger(logger));
  afterAll(() => Logger.overrideLogger(new Logger()));
  beforeEach(() => {
    logged.length = 0;
  });

  describe('HttpException', () => {
    it('keeps the status and message of a string exception, in Nest shape', () => {
      const res = answer(new BadRequestException('limit must be a number'));
      expect(res.statusCode).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'limit must be a number', error: 'Bad Request' });
    });

    it('sends Retry-After with the retry_after a refusal carries, and none without it', () => {
      const limited = answer(new HttpException({ statusCode: 429, message: 'Slow down', retry_after: 42 }, 429));
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['Retry-After']).toBe('42');
      expect(answer(new HttpException('Slow down', 429)).headers).toEqual({});
    });

    it('keeps the list of validation messages', () => {
      const messages = ['username should not be empty', 'password must be a string'];
      const res = answer(new BadRequestException(messages));
      expect(res.statusCode).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: messages, error: 'Bad Request' });
    });

    it('fills in the reason phrase for an exception built from a plain string', () => {
      const res = answer(new HttpException('Slow down', 429));
      expect(res.statusCode).toBe(429);
      expect(res.body).toEqual({ statusCode: 429, message: 'Slow down', error: 'Too Many Requests' });
    });

    it('completes the shape of a default-message exception, whose body Nest builds without `error`', () => {
      const res = answer(new NotFoundException());
      expect(res.statusCode).toBe(404);
      expect(res.body).toEqual({ statusCode: 404, message: 'Not Found', error: 'Not Found' });
    });

    it('passes a Terminus report (with details) through unchanged', () => {
      const report = {
        status: 'error',
        info: { database: { status: 'up' } },
        error: { redis: { status: 'down', message: 'Redis connection is reconnecting' } },
        details: {
          database: { status: 'up' },
          redis: { status: 'down', message: 'Redis connection is reconnecting' },
        },
      };
      const res = answer(new ServiceUnavailableException(report));
      expect(res.statusCode).toBe(503);
      expect(res.body).toEqual(report);
    });

    it('logs nothing for a client error', () => {
      answer(new BadRequestException('nope'));
      expect(logged).toEqual([]);
    });
  });

  describe('DomainError', () => {
    it.each([
      { kind: 'not_found', ErrorClass: NotFoundError, status: 404, reason: 'Not Found' },
      { kind: 'conflict', ErrorClass: ConflictError, status: 409, reason: 'Conflict' },
      { kind: 'invalid', ErrorClass: InvalidInputError, status: 400, reason: 'Bad Request' },
      { kind: 'unprocessable', ErrorClass: UnprocessableError, status: 422, reason: 'Unprocessable Entity' },
      { kind: 'unavailable', ErrorClass: ServiceUnavailableError, status: 503, reason: 'Service Unavailable' },
      { kind: 'upstream', ErrorClass: UpstreamError, status: 502, reason: 'Bad Gateway' },
    ] as { kind: string; ErrorClass: new (message: string) => DomainError; status: number; reason: string }[])(
      'maps kind $kind ($ErrorClass.name) to $status with its message',
      ({ kind, ErrorClass, status, reason }) => {
        const error = new ErrorClass('Monitor 7 says no');
        expect(error.kind).toBe(kind);
        const res = answer(error);
        expect(res.statusCode).toBe(status);
        expect(res.body).toEqual({ statusCode: status, message: 'Monitor 7 says no', error: reason });
      },
    );
  });

  describe('any other error', () => {
    it('answers 500 with the request id and neither the message nor the stack', () => {
      const error = new Error('connect ECONNREFUSED 10.0.0.5:5432 password=hunter2');
      const res = answer(error, { requestId: 'req-42' });
      expect(res.statusCode).toBe(500);
      expect(res.body).toEqual({
        statusCode: 500,
        message: 'Internal server error',
        error: 'Internal Server Error',
        request_id: 'req-42',
      });
      const text = JSON.stringify(res.body);
      expect(text).not.toContain('ECONNREFUSED');
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain(error.stack!.split('\n')[1].trim());
    });

    it('logs the error itself with the same request id', () => {
      const error = new TypeError("Cannot read properties of undefined (reading 'id')");
      answer(error, { requestId: 'req-43' });
      expect(logged).toEqual([
        { level: 'error', message: expect.objectContaining({ request_id: 'req-43', err: error }) },
      ]);
    });

    it('takes the request id from the X-Request-ID response header when the request has none', () => {
      const res = answer(new Error('boom'), { headers: { 'X-Request-ID': 'from-header' } });
      expect(res.body).toMatchObject({ statusCode: 500, request_id: 'from-header' });
    });

    it('answers 500 to a thrown value that is not an Error', () => {
      const res = answer('a bare string', { requestId: 'req-44' });
      expect(res.statusCode).toBe(500);
      expect(res.body).toEqual(expect.objectContaining({ message: 'Internal server error', request_id: 'req-44' }));
      expect(JSON.stringify(res.body)).not.toContain('a bare string');
    });
  });

  it('leaves a response alone once its headers are sent', () => {
    const { host, res } = fakeHttp({ headersSent: true });
    const status = jest.spyOn(res, 'status');
    new AllExceptionsFilter().catch(new Error('late'), host);
    expect(status).not.toHaveBeenCalled();
    expect(res.body).toBeUndefined();
  });
});
