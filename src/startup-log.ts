import type { INestApplicationContext, LoggerService } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_PREFIX, HEALTH_PATHS } from './common/http/configure-http';
import { DOCS_PATH } from './common/http/openapi';
import type { AppConfig } from './config/app-config';
import { displayDatabase } from './database/database-display';
import { WorkerHost } from './queue/worker-host';

/**
 * The few info lines a start prints (Nest's own listing is at debug): what runs, where it listens, what it
 * talks to, and which queues it works on. The generated admin password, on a first start, stands out among them.
 */
const CONTEXT = 'Bootstrap';

/** package.json's version; the build (dist/) and the image (/app/dist) keep package.json one level up. */
export const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
  .version;

export function logStarting(logger: LoggerService, config: AppConfig): void {
  logger.log(
    {
      msg: `Nagare ${VERSION} starting as ${config.role}`,
      version: VERSION,
      role: config.role,
      node: process.version,
      database_url: displayDatabase(config.database),
      redis: config.redis.display,
      log_dir: config.log.dir ?? null,
    },
    CONTEXT,
  );
}

/** One line for every queue this process works on, with its concurrency; nothing in an API-only process. */
export function logWorkers(logger: LoggerService, app: INestApplicationContext, config: AppConfig): void {
  const host = app.get(WorkerHost, { strict: false });
  const types = host.takenQueues;
  if (Object.keys(types).length === 0) return;
  logger.log(
    { msg: 'worker takes tasks', worker: host.workerName, queue_prefix: config.queue.prefix, types },
    'worker',
  );
}

export function logListening(logger: LoggerService, config: AppConfig): void {
  logger.log(
    {
      msg: `Nagare listening on http://${config.server.host}:${config.server.port}`,
      role: config.role,
      redis: config.redis.display,
      database: config.database.kind,
      jwt_secret: config.jwt.secretSource,
      api: `/${API_PREFIX}`,
      health: HEALTH_PATHS,
      docs: `/${DOCS_PATH}`,
    },
    CONTEXT,
  );
}
