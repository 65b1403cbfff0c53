import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, servesHttp } from './app.module';
import { configureHttp } from './common/http/configure-http';
import { createRootLogger } from './common/logging/create-logger';
import { PinoLoggerService } from './common/logging/pino-logger.service';
import type { AppConfig } from './config/app-config';
import { ConfigError } from './config/config-error';
import { loadConfig } from './config/config.loader';
import { holdHeapGrowth } from './monitors/sync/sync-heap-growth';
import { logListening, logStarting, logWorkers } from './startup-log';

/**
 * On SIGTERM/SIGINT Nest stops the HTTP server, runs the shutdown hooks (queues, Redis, database) and then, by
 * default, re-raises the signal so the process dies of it (exit 143). A clean shutdown exits 0 instead, and
 * process.exit lets pino flush the last log lines on its 'exit' hook.
 */
const SHUTDOWN = { useProcessExit: true };

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  holdHeapGrowth(config.role !== 'api');
  const rootLogger = createRootLogger(config.log);
  const logger = new PinoLoggerService(rootLogger);
  const module = AppModule.forRoot(config);
  logStarting(logger, config);

  if (!servesHttp(config)) {
    const context = await NestFactory.createApplicationContext(module, { logger, abortOnError: false });
    context.enableShutdownHooks([], SHUTDOWN);
    logWorkers(logger, context, config);
    logger.log({ msg: 'worker started', role: config.role }, 'Bootstrap');
    return;
  }

  const app = await NestFactory.create<NestExpressApplication>(module, {
    logger,
    bodyParser: false,
    abortOnError: false,
  });
  await configureHttp(app, config, rootLogger);
  app.enableShutdownHooks([], SHUTDOWN);
  await app.listen(config.server.port, config.server.host);
  logWorkers(logger, app, config);
  logListening(logger, config);
}

function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Nagare failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
