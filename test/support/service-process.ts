import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { sleep } from './time';

/** The built service, as `npm start` runs it. npm test builds it first (pretest). */
export const MAIN_JS = join(process.cwd(), 'dist', 'main.js');

/** Children still running; killed if the test process exits first, so no service outlives its test run. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** The service's whole environment: nothing is inherited from the test runner but PATH. */
  env: Record<string, string>;
  cwd: string;
}

/**
 * The real service as its own `node dist/main.js` process, with the given environment and working
 * directory; keeps everything it prints so a test can read it.
 */
export class ServiceProcess {
  private out = '';
  private err = '';
  private exitStatus?: ExitStatus;
  private readonly exited: Promise<ExitStatus>;

  private constructor(
    private readonly child: ChildProcess,
    readonly options: SpawnOptions,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.out += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.err += chunk));
    running.add(child);
    this.exited = new Promise((resolve) => {
      // 'close' comes after the output streams are drained, so stdout/stderr are complete by then.
      child.once('close', (code, signal) => {
        running.delete(child);
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
  }

  static spawn(options: SpawnOptions): ServiceProcess {
    if (!existsSync(MAIN_JS)) {
      throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first (npm test does it in pretest)`);
    }
    const child = spawn(process.execPath, [MAIN_JS], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(child, options);
  }

  /** Spawns the service and waits until /health/live answers; fails with its output when it exits first. */
  static async start(options: SpawnOptions, timeoutMs = 30_000): Promise<ServiceProcess> {
    const service = ServiceProcess.spawn(options);
    if ((await service.waitUntilLive(timeoutMs)) !== 'live') {
      const status = await service.stop('SIGKILL');
      throw new Error(
        `the service did not come up (exit ${JSON.stringify(status)})\n--- stdout\n${service.stdout}\n--- stderr\n${service.stderr}`,
      );
    }
    return service;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get port(): number {
    return Number(this.options.env.PORT);
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** The exit status once the process is gone, else undefined. */
  get status(): ExitStatus | undefined {
    return this.exitStatus;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Everything the service wrote to <LOG_DIR>/system.log so far ('' before the file exists). */
  systemLog(): string {
    const file = join(this.options.env.LOG_DIR ?? join(this.options.cwd, 'logs'), 'system.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  }

  /** True once this process has printed that it listens on its port (needs LOG_LEVEL info or lower). */
  get saidListening(): boolean {
    return new RegExp(`Nagare listening on http://\\S+:${this.port}\\b`).test(this.out);
  }

  /**
   * Polls /health/live until it answers 200 ('live'), the process exits ('exited') or time runs out ('timeout').
   * The answer counts only once this process has said it listens, so another service that happens to hold the
   * port (a parallel run handed the same free port) is never taken for this one.
   */
  async waitUntilLive(timeoutMs = 30_000): Promise<'live' | 'exited' | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitStatus) return 'exited';
      if (!this.saidListening) {
        await Promise.race([sleep(100), this.exited]);
        continue;
      }
      try {
        const res = await fetch(this.url('/health/live'), { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return 'live';
      } catch {
        // not listening yet
      }
      await Promise.race([sleep(100), this.exited]);
    }
    return this.exitStatus ? 'exited' : 'timeout';
  }

  /** Resolves with the exit status, or rejects when the process is still running after the timeout. */
  async waitForExit(timeoutMs = 10_000): Promise<ExitStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the service (pid ${this.pid}) was still running after ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends the signal and waits for the exit. If the process outlives the timeout it is killed outright
   * (so no test leaves one behind) and the promise rejects.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.child.kill(signal);
    try {
      return await this.waitForExit(timeoutMs);
    } catch (error) {
      this.child.kill('SIGKILL');
      await this.exited;
      throw error;
    }
  }
}

/** Waits until the check returns a value other than undefined, or fails naming what it waited for. */
export async function waitFor<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** True when a TCP connection to the loopback port is accepted. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
