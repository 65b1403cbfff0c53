import pino from 'pino';
import { Writable } from 'node:stream';
import { REDACTED_PATHS } from './create-logger';
import { PinoLoggerService, UnredactedLine } from './pino-logger.service';

/** A PinoLoggerService over a pino logger that keeps its lines, exactly as written, in memory. */
function capture() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const root = pino(
    { level: 'trace', base: { pid: 1 }, timestamp: false, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    sink,
  );
  return { service: new PinoLoggerService(root), lines };
}

describe(PinoLoggerService.name, () => {
  it('merges an object message into the line, its msg last, with the context first', () => {
    const { service, lines } = capture();
    service.log({ msg: 'worker completed task x:1', task_id: 'x:1', duration_ms: 3 }, 'worker');
    expect(lines).toEqual([
      '{"level":30,"pid":1,"context":"worker","task_id":"x:1","duration_ms":3,"msg":"worker completed task x:1"}',
    ]);
  });

  it('writes a string message with its context, and without one', () => {
    const { service, lines } = capture();
    service.warn('Redis is down', 'Queue');
    service.log('no context here');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { level: 40, pid: 1, context: 'Queue', msg: 'Redis is down' },
      { level: 30, pid: 1, msg: 'no context here' },
    ]);
  });

  it('keeps each context on its own lines when contexts alternate', () => {
    const { service, lines } = capture();
    service.log({ msg: 'a' }, 'One');
    service.log({ msg: 'b' }, 'Two');
    service.log({ msg: 'c' }, 'One');
    expect(lines.map((line) => JSON.parse(line).context)).toEqual(['One', 'Two', 'One']);
  });

  it("logs an Error as err with its message, and Nest's stack string as stack", () => {
    const { service, lines } = capture();
    service.error(new Error('boom'), 'Http');
    service.error({ msg: 'unhandled' }, 'Error: x\n    at y (z.js:1:1)', 'ExceptionsHandler');
    const [error, withStack] = lines.map((line) => JSON.parse(line));
    expect(error).toMatchObject({ level: 50, context: 'Http', msg: 'boom', err: { message: 'boom', type: 'Error' } });
    expect(withStack).toEqual({
      level: 50,
      pid: 1,
      context: 'ExceptionsHandler',
      stack: 'Error: x\n    at y (z.js:1:1)',
      msg: 'unhandled',
    });
  });

  it('writes an empty msg for an object without one, and does not change the object logged', () => {
    const { service, lines } = capture();
    const message = { count: 2 };
    service.debug(message, 'Sync');
    expect(JSON.parse(lines[0])).toEqual({ level: 20, pid: 1, context: 'Sync', count: 2, msg: '' });
    expect(message).toEqual({ count: 2 });
  });

  it('writes an UnredactedLine byte for byte as the same fields logged as an object', () => {
    const { service, lines } = capture();
    const fields = { task_id: 'x:1', type: 'x', attempt: 1, max_attempts: 3, worker: 'h:1', duration_ms: 3 };
    service.log({ msg: 'worker completed task x:1', ...fields }, 'worker');
    service.log(new UnredactedLine('worker completed task x:1', fields), 'worker');
    service.debug(new UnredactedLine('no context', { n: 1 }));
    expect(lines[1]).toBe(lines[0]);
    expect(JSON.parse(lines[2])).toEqual({ level: 20, pid: 1, n: 1, msg: 'no context' });
  });

  it('still redacts the secret-named fields of an object message', () => {
    const { service, lines } = capture();
    service.warn({ msg: 'login failed', password: 'hunter2', monitor: { token: 't0k' } }, 'auth');
    expect(JSON.parse(lines[0])).toMatchObject({ password: '[redacted]', monitor: { token: '[redacted]' } });
  });

  it("writes Nest's module and route listing at debug, and other contexts' log at info", () => {
    const { service, lines } = capture();
    service.log('AppModule dependencies initialized', 'InstanceLoader');
    service.log('HealthController {/api/v1/health}:', 'RoutesResolver');
    service.log('Mapped {/health/live, GET} route', 'RouterExplorer');
    service.log('Starting Nest application...', 'NestFactory');
    service.log('Nest application successfully started', 'NestApplication');
    service.log({ msg: 'worker takes tasks' }, 'worker');
    expect(lines.map((line) => JSON.parse(line).level)).toEqual([20, 20, 20, 20, 20, 30]);
  });
});
