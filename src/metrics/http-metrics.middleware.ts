import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { MetricsRegistry } from './metrics.registry';

/** The label of a request Express matched to no route (unknown path, or answered before routing). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every request and records it under its route *pattern* (`/api/v1/monitors/:id`), read from Express
 * once the response is sent: never the raw URL, whose ids would make the label set unbounded.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsRegistry) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const stop = this.metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof pattern === 'string' ? `${req.baseUrl ?? ''}${pattern}` : UNMATCHED_ROUTE;
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  }
}
