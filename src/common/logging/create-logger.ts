import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

export const SYSTEM_LOG_FILE = 'system.log';

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'password',
  'token',
  'secret',
  '*.password',
  '*.token',
  '*.secret',
  '*.auth_token',
  '*.authorization',
];

/** Structured JSON to stdout and to `<log.dir>/system.log`, the file the guide tells operators to tail. */
export function createRootLogger(options: { dir: string; level: string; stdout?: boolean; sync?: boolean }): Logger {
  mkdirSync(options.dir, { recursive: true });
  const file = pino.destination({ dest: join(options.dir, SYSTEM_LOG_FILE), mkdir: true, sync: options.sync ?? false });
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: file }];
  // process.stdout writes synchronously when it is a file or a terminal; an async destination (flushed on exit,
  // like the file) keeps that write off the worker's and the API's path. `sync: true` keeps process.stdout.
  if (options.stdout !== false)
    streams.push({
      level: 'trace',
      stream: options.sync ? process.stdout : pino.destination({ dest: 1, sync: false }),
    });
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream(streams),
  );
}
