import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

interface Window {
  failures: number;
  resetAt: number;
}

const MAX_TRACKED_CLIENTS = 10_000;

/**
 * Counts failed logins per client address in a fixed window. Past the limit every attempt from that client,
 * right or wrong, is refused until the window ends. Per process: each API replica keeps its own count.
 */
@Injectable()
export class LoginLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxFailures: number;
  private readonly windowMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.maxFailures = config.auth.loginMaxFailures;
    this.windowMs = config.auth.loginWindowSeconds * 1000;
  }

  /** Seconds until the client may try again, or 0 when it may try now. */
  retryAfterSeconds(client: string, now = Date.now()): number {
    const window = this.windows.get(client);
    if (!window || window.resetAt <= now) return 0;
    return window.failures >= this.maxFailures ? Math.ceil((window.resetAt - now) / 1000) : 0;
  }

  recordFailure(client: string, now = Date.now()): void {
    const window = this.windows.get(client);
    if (window && window.resetAt > now) {
      window.failures += 1;
      return;
    }
    if (this.windows.size >= MAX_TRACKED_CLIENTS) this.dropExpired(now);
    if (this.windows.size >= MAX_TRACKED_CLIENTS) this.windows.delete(this.windows.keys().next().value!);
    this.windows.set(client, { failures: 1, resetAt: now + this.windowMs });
  }

  recordSuccess(client: string): void {
    this.windows.delete(client);
  }

  private dropExpired(now: number): void {
    for (const [client, window] of this.windows) if (window.resetAt <= now) this.windows.delete(client);
  }
}
