import { jest } from '@jest/globals';
import { Logger, ServiceUnavailableException } from '@nestjs/common';
import { createServer } from 'node:net';
import type { AppConfig } from '../../config/app-config';
import type { ReadinessCheck } from '../readiness-check';
import { EventLoopDelay } from './event-loop-delay';
import { WorkerProbeServer } from './worker-probe.server';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A probe server on a free loopback port whose readiness check does what the test says. */
async function probeServer(run: () => Promise<unknown>) {
  const port = await freePort();
  const config = { server: { host: '127.0.0.1' }, worker: { probePort: port } } as unknown as AppConfig;
  const server = new WorkerProbeServer(config, { run } as unknown as ReadinessCheck);
  await server.onApplicationBootstrap();
  const get = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { server, get };
}

describe(WorkerProbeServer.name, () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
    jest.restoreAllMocks();
  });

  it("answers readiness with the check's report: 200 when up, the 503 and its body when down", async () => {
    const report = { status: 'error', error: { redis: { status: 'down' } } };
    let up = true;
    const { server, get } = await probeServer(async () => {
      if (up) return { status: 'ok' };
      throw new ServiceUnavailableException(report);
    });
    close = () => server.onApplicationShutdown();

    const ready = await get('/health/ready');
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ok' } });
    up = false;
    const down = await get('/health/ready');
    expect({ status: down.status, body: await down.json() }).toEqual({ status: 503, body: report });
  });

  it('answers 500 and keeps serving when the check fails in a way Terminus does not report', async () => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { server, get } = await probeServer(async () => {
      throw new TypeError('a bug');
    });
    close = () => server.onApplicationShutdown();

    expect((await get('/health/ready')).status).toBe(500);
    expect((await get('/health/live')).status).toBe(200);
  });

  it('answers HEAD with the status and no body, and closes the port on shutdown', async () => {
    const { server, get } = await probeServer(async () => ({ status: 'ok' }));
    const head = await get('/health/live', 'HEAD');
    expect({ status: head.status, body: await head.text() }).toEqual({ status: 200, body: '' });

    await server.onApplicationShutdown();
    await expect(get('/health/live')).rejects.toThrow();
  });
});

describe(EventLoopDelay.name, () => {
  it('reports a blocked loop as delay beyond the sampling interval, then starts a new window', async () => {
    const delay = new EventLoopDelay();
    delay.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const blockedUntil = Date.now() + 150;
      while (Date.now() < blockedUntil) {
        // the loop runs nothing else meanwhile
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      const blocked = delay.read();
      expect(blocked.max_ms).toBeGreaterThanOrEqual(100);
      expect(blocked.p50_ms).toBeLessThan(blocked.max_ms);

      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(delay.read().max_ms).toBeLessThan(blocked.max_ms);
    } finally {
      delay.stop();
    }
  });
});
