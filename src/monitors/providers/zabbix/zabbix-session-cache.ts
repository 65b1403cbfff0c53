import { createHash } from 'node:crypto';
import type { MonitorTarget } from '../monitor-provider';

interface Session {
  /**
   * Which endpoint and credentials the token was issued for: edited credentials make it unusable. Null for a
   * token Zabbix ended, kept so that the same token coming back in `target.authToken` is not tried again.
   */
  fingerprint: string | null;
  token: string;
}

/**
 * Session tokens per monitor, in this process's memory. A monitor not seen yet starts from the token the
 * caller kept (`target.authToken`); a token obtained for other credentials or another URL is not reused.
 * Also coalesces logins: concurrent calls for one monitor share one `user.login`.
 */
export class ZabbixSessionCache {
  private readonly sessions = new Map<number, Session>();
  private readonly logins = new Map<number, Promise<string>>();

  /** The token to try first, or null when a login is needed. */
  token(target: MonitorTarget, endpoint: string): string | null {
    const session = this.sessions.get(target.monitorId);
    if (session && session.fingerprint === fingerprint(target, endpoint)) return session.token;
    // The caller's token is one Zabbix ended, or one issued for other credentials: a fresh login is needed.
    if (session && target.authToken === session.token) return null;
    return target.authToken ? target.authToken : null;
  }

  store(target: MonitorTarget, endpoint: string, token: string): void {
    this.sessions.set(target.monitorId, { fingerprint: fingerprint(target, endpoint), token });
  }

  /** Marks the token as ended; true when there was one (cached or carried by the target). */
  forget(target: MonitorTarget, endpoint: string): boolean {
    const token = this.token(target, endpoint);
    if (token === null) return false;
    this.sessions.set(target.monitorId, { fingerprint: null, token });
    return true;
  }

  /** Runs `login` unless one is already under way for the monitor, in which case its outcome is shared. */
  loginOnce(monitorId: number, login: () => Promise<string>): Promise<string> {
    const running = this.logins.get(monitorId);
    if (running) return running;
    const attempt = login().finally(() => this.logins.delete(monitorId));
    this.logins.set(monitorId, attempt);
    return attempt;
  }
}

function fingerprint(target: MonitorTarget, endpoint: string): string {
  return createHash('sha256').update(`${endpoint}\0${target.username}\0${target.password}`).digest('hex');
}
