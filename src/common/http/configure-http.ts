import { HttpStatus, type INestApplication, RequestMethod } from '@nestjs/common';
import { json, type Request, type Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/app-config';
import { httpLogger } from '../logging/http-logger';
import { AllExceptionsFilter } from './all-exceptions.filter';
import { refuseOversizedJson } from './json-limits';
import { setupOpenApi } from './openapi';
import { rejectNulCharacters } from './nul-characters';
import { noStore, securityHeaders } from './security-headers';
import { rejectUnsupportedTransferEncoding } from './transfer-encoding';
import { CachingValidationPipe } from './validation.pipe';

export const API_PREFIX = 'api/v1';

/** The probes, outside /api/v1 (Nest's route listing names them under the prefix: it ignores `exclude`). */
export const HEALTH_PATHS = ['/health/live', '/health/ready'] as const;

/** Routes that stay outside /api/v1: what probes and scrapers call, and the dashboard browsers open. */
const UNPREFIXED = [
  ...HEALTH_PATHS.map((path) => ({ path: path.slice(1), method: RequestMethod.GET })),
  { path: 'metrics', method: RequestMethod.GET },
  // The queue dashboard (src/admin): every path under it, which its own middleware authenticates.
  { path: 'admin/queues{/*path}', method: RequestMethod.ALL },
];

/**
 * Everything about how the HTTP app behaves, shared by main.ts and the e2e tests so both run the same
 * pipes, filters, limits and docs. The app must be created with `bodyParser: false`.
 */
export async function configureHttp(app: INestApplication, config: AppConfig, rootLogger: Logger): Promise<void> {
  const express = app as NestExpressApplication;
  express.set('trust proxy', config.server.trustProxy);
  express.disable('x-powered-by');
  express.use(securityHeaders());
  express.use(httpLogger(rootLogger));
  express.use(`/${API_PREFIX}`, noStore);
  express.use(rejectUnsupportedTransferEncoding);
  // Express's own JSON parser rather than useBodyParser, whose options type leaves out the `verify` hook.
  const { bodyLimit, jsonMaxDepth, jsonMaxValues } = config.server;
  express.use(
    json({ limit: bodyLimit, verify: refuseOversizedJson({ maxDepth: jsonMaxDepth, maxValues: jsonMaxValues }) }),
  );
  express.use(rejectNulCharacters);
  app.setGlobalPrefix(API_PREFIX, { exclude: UNPREFIXED });
  app.useGlobalPipes(
    new CachingValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validationError: { target: false, value: false },
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  setupOpenApi(app);
  await app.init();
  // Nest answers unknown paths in JSON only under the global prefix; everything else would get Express's HTML page.
  express.use((req: Request, res: Response) => {
    const status = HttpStatus.NOT_FOUND;
    res.status(status).json({ statusCode: status, message: `Cannot ${req.method} ${req.path}`, error: 'Not Found' });
  });
}
