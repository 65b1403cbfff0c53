import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Level, Logger } from 'pino';
import { redactUrl } from './redact-url';
import { requestIdFor } from './request-id';

/**
 * One line per request, written when the response ends, with its id, method, URL, status and duration
 * (`responseTime`, ms); health probes only at debug. The URL is redacted (redact-url.ts). The same fields pino-http wrote, without what pino-http
 * spends on every request and nothing here uses: a child logger per request holding the whole request, and a
 * serializer pass over it.
 */
export function httpLogger(root: Logger): RequestHandler {
  const logger = root.child({ context: 'http' });
  // The line of a request that did not fail holds only the fields below, none of which is a redacted path
  // (create-logger's REDACTED_PATHS), so it skips the redaction pass: the same text for a third of the CPU.
  // A line with `err`, whose fields no one here chose, goes through `logger` and is redacted as always.
  const plain = root.child({ context: 'http' }, { redact: { paths: [] } });
  return (req: Request, res: Response, next: NextFunction) => {
    const id = requestIdFor(req, res);
    (req as Request & { id?: string }).id = id;
    const started = Date.now();
    const method = req.method;
    // Query values named like secrets (`?access_token=`) never reach the line: pino's redaction sees only whole fields.
    const url = redactUrl(req.originalUrl ?? req.url);
    const remoteAddress = req.socket?.remoteAddress;

    const done = (error?: unknown) => {
      res.removeListener('close', done);
      res.removeListener('finish', done);
      res.removeListener('error', done);
      const status = res.statusCode;
      const failed = error instanceof Error || status >= 500;
      const level: Level = failed ? 'error' : url.startsWith('/health/') ? 'debug' : status >= 400 ? 'warn' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      const line: Record<string, unknown> = {
        req: { id, method, url, remote_address: remoteAddress },
        res: { status },
        responseTime: Date.now() - started,
      };
      if (failed) {
        line.err = error instanceof Error ? error : new Error(`failed with status code ${status}`);
        logger[level](line, 'request errored');
      } else {
        plain[level](line, !req.readableAborted && res.writableEnded ? 'request completed' : 'request aborted');
      }
    };
    res.on('close', done);
    res.on('finish', done);
    res.on('error', done);
    next();
  };
}
