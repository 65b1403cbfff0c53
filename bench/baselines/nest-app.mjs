// Enqueue baseline (b): a minimal NestJS Express app whose one route only calls `queue.add`.
// `node bench/baselines/nest-app.mjs <port> <redisUrl> <prefix>`; prints `@bench {"ready":true}` once listening.
import 'reflect-metadata';
import process from 'node:process';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import Queue from 'bull';
import { PRODUCER_JOB_OPTIONS, tell } from '../lib.mjs';

const [port, redis, prefix] = process.argv.slice(2);
const queue = new Queue('generate_alerts', { prefix, redis });

// Plain JavaScript has no decorator syntax: the decorators are applied by hand.
class AlertsController {
  async generateAsync() {
    const job = await queue.add({ type: 'generate_alerts', params: { count: 1 } }, PRODUCER_JOB_OPTIONS);
    return { message: 'Test alert generation task queued', task_id: `generate_alerts:${job.id}`, count: 1 };
  }
}
const method = Object.getOwnPropertyDescriptor(AlertsController.prototype, 'generateAsync');
Post('generate-test-async')(AlertsController.prototype, 'generateAsync', method);
HttpCode(202)(AlertsController.prototype, 'generateAsync', method);
Controller('alerts')(AlertsController);

class AppModule {}
Module({ controllers: [AlertsController] })(AppModule);

await queue.isReady();
const app = await NestFactory.create(AppModule, { logger: false });
app.setGlobalPrefix('api/v1');
app.enableShutdownHooks();
await app.listen(Number(port), '127.0.0.1');
tell({ ready: true });
