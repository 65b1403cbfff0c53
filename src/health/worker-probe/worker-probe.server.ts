import {
  HttpException,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ReadinessCheck } from '../readiness-check';
import { EventLoopDelay } from './event-loop-delay';

/** A kubelet probe times out after seconds; a client that holds a connection open gets no more than this. */
const REQUEST_TIMEOUT_MS = 5000;
const PATHS = { live: '/health/live', ready: '/health/ready' } as const;

/**
 * The probes of a worker-only process, which serves no API: GET /health/live and /health/ready on
 * `worker.probe_port`, a bare node:http server (a Nest HTTP app would also mount the feature modules' controllers,
 * without the API's guard). Liveness is answered by the event loop itself, so a wedged loop leaves the probe
 * without an answer until its timeout fails it; Redis or the database being down never fails it. Readiness is the
 * API's own check, on the same Redis connection (Sentinel included).
 */
@Injectable()
export class WorkerProbeServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('worker');
  private readonly loopDelay = new EventLoopDelay();
  private server?: Server;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly readiness: ReadinessCheck,
  ) {}

  /** Fails the start, naming the key, when the port cannot be had: a worker without its probes would be restarted. */
  async onApplicationBootstrap(): Promise<void> {
    const { host } = this.config.server;
    const port = this.config.worker.probePort;
    const server = createServer((req, res) => void this.answer(req, res));
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      const refused = (error: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `worker.probe_port (WORKER_PROBE_PORT): cannot listen on ${host}:${port} (${error.code}); ` +
              'choose a free port, or 0 for no probes',
          ),
        );
      server.once('error', refused);
      server.listen(port, host, () => {
        server.off('error', refused);
        resolve();
      });
    });
    this.server = server;
    this.loopDelay.start();
    this.logger.log({ msg: `worker probes on http://${host}:${port}`, health: Object.values(PATHS) });
  }

  /** Last of all, so the probes keep answering while the worker drains its tasks (readiness says shutting_down). */
  async onApplicationShutdown(): Promise<void> {
    this.loopDelay.stop();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (error) {
      this.logger.error({ msg: 'worker probe failed', err: error });
      if (!res.headersSent) send(res, 500, { statusCode: 500, message: 'Internal server error' });
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://probe').pathname;
    if (path !== PATHS.live && path !== PATHS.ready) {
      return send(res, 404, { statusCode: 404, message: `Cannot ${req.method} ${path}`, error: 'Not Found' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, { statusCode: 405, message: 'Use GET', error: 'Method Not Allowed' });
    }
    if (path === PATHS.live) return send(res, 200, this.live());
    try {
      send(res, 200, await this.readiness.run());
    } catch (error) {
      // Terminus reports "down" as a 503 exception carrying the report; anything else is a fault of ours.
      if (!(error instanceof HttpException)) throw error;
      send(res, error.getStatus(), error.getResponse());
    }
  }

  /** Terminus's shape, as the API's /health/live; the event loop's delay is there for the operator. */
  private live() {
    const eventLoop = { status: 'up', delay: this.loopDelay.read() };
    return { status: 'ok', info: { event_loop: eventLoop }, error: {}, details: { event_loop: eventLoop } };
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
