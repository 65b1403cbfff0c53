import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureHttp } from '../../src/common/http/configure-http';
import { createRootLogger, SYSTEM_LOG_FILE } from '../../src/common/logging/create-logger';
import { PinoLoggerService } from '../../src/common/logging/pino-logger.service';
import type { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/config.loader';
import { createTestDatabase, type TestDatabase } from './test-database';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'test-admin-password';

export interface TestApp {
  app: INestApplication;
  http: Server;
  config: AppConfig;
  dir: string;
  /** Logs in and returns the bearer token. */
  login(username?: string, password?: string): Promise<string>;
  /** Everything the service wrote to logs/system.log so far. */
  systemLog(): string;
  close(): Promise<void>;
}

/** The environment a test service runs with: its own directory, database, queue prefix and secrets. */
export function testEnv(
  dir: string,
  database: TestDatabase,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const redisUrl = process.env.NAGARE_TEST_REDIS_URL;
  if (!redisUrl)
    throw new Error('NAGARE_TEST_REDIS_URL is unset: run the suites through jest so global setup finds Redis');
  return {
    REDIS_URL: redisUrl,
    DATABASE_URL: database.url,
    DATA_DIR: join(dir, 'data'),
    LOG_DIR: join(dir, 'logs'),
    LOG_LEVEL: 'info',
    JWT_SECRET: randomBytes(32).toString('hex'),
    NAGARE_ADMIN_USERNAME: ADMIN_USERNAME,
    NAGARE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    QUEUE_PREFIX: `nagare-test:${randomBytes(4).toString('hex')}`,
    // Suites queue hundreds of tasks a minute as one user; test/quotas.e2e-spec.ts sets the quota it tests.
    QUOTA_ENQUEUE_PER_MINUTE: '1000000',
    // Off: several workers run side by side in a suite, and 8081 is everyone's default. test/worker-probe.e2e-spec.ts
    // gives its worker a free port.
    WORKER_PROBE_PORT: '0',
    ...overrides,
  };
}

/**
 * The real service in-process, on the real Redis and a real database, configured exactly as main.ts does.
 * Logs go to the test's own logs/system.log, not the console.
 */
export async function startTestApp(overrides: Record<string, string> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'nagare-e2e-'));
  const database = await createTestDatabase(dir);
  const config = loadConfig(testEnv(dir, database, overrides), dir);
  const rootLogger = createRootLogger({ ...config.log, stdout: false, sync: true });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication({ bodyParser: false, logger: new PinoLoggerService(rootLogger) });
  await configureHttp(app, config, rootLogger);
  const http = app.getHttpServer() as Server;

  return {
    app,
    http,
    config,
    dir,
    async login(username = ADMIN_USERNAME, password = ADMIN_PASSWORD) {
      const res = await request(http).post('/api/v1/auth/login').send({ username, password });
      if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.token as string;
    },
    systemLog() {
      return readFileSync(join(config.log.dir ?? dir, SYSTEM_LOG_FILE), 'utf8');
    },
    async close() {
      await app.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
