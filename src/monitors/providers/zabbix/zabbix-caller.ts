import { Logger } from '@nestjs/common';
import type { MonitorTarget, SessionTokenStore } from '../monitor-provider';
import {
  MonitorAccountBlockedError,
  MonitorAuthenticationError,
  MonitorLoginRefusedError,
  MonitorTokenRefusedError,
} from '../provider-errors';
import { malformed } from './zabbix-mapping';
import { ZabbixRpcClient, ZabbixRpcError, zabbixEndpoint } from './zabbix-rpc-client';
import { ZabbixSessionCache } from './zabbix-session-cache';
import { ZabbixVersion } from './zabbix-version';

/** What Zabbix says on a call whose token it no longer knows (6.0: data "Session terminated, re-login, please."). */
const SESSION_ENDED = /Session terminated|Not authori[sz]ed/i;
/** What Zabbix says on a call with an API token it refuses: deleted or disabled ("Not authorized."), or expired. */
const TOKEN_REFUSED = /Not authori[sz]ed|API token expired|Session terminated/i;
/**
 * What Zabbix (5.0 to 7.x) answers a refused user.login: fixed sentences that quote nothing of the request. From
 * 5.4 a blocked account gets the same sentence as a wrong password (checked on 6.0 and 7.0), so the two cannot be
 * told apart; before, a block had words of its own (ACCOUNT_BLOCKED).
 */
const KNOWN_LOGIN_REFUSALS = [
  /^Incorrect user name or password or account is temporarily blocked\.$/,
  /^Login name or password is incorrect\.$/,
  /^No permissions for system access\.$/,
  /^GUI access disabled\.$/,
];
const ACCOUNT_BLOCKED = /^Account is blocked for \d+ seconds?\.$/;
/** A server that predates `username` in user.login (older than 5.4) rejects it with this. */
const NO_USERNAME_PARAM = /unexpected parameter "username"/i;

/** One public call's view of the monitor. */
export interface CallContext {
  target: MonitorTarget;
  endpoint: string;
  version: ZabbixVersion;
}

/**
 * Calls a monitor's JSON-RPC API with its session: asks the server's version once per endpoint, logs in when
 * there is no session (one login shared by concurrent calls), and logs in again once when Zabbix ended it.
 * New session tokens go to the SessionTokenStore, when there is one. A monitor's API token is used as it is.
 */
export class ZabbixCaller {
  private readonly logger = new Logger(ZabbixCaller.name);
  private readonly sessions = new ZabbixSessionCache();
  /** apiinfo.version per endpoint (a promise, so concurrent first calls share one request). */
  private readonly versions = new Map<string, Promise<ZabbixVersion>>();

  private readonly rpc: ZabbixRpcClient;

  constructor(
    private readonly timeoutMs: number,
    private readonly tokens?: SessionTokenStore,
    maxReplyBytes?: number,
  ) {
    this.rpc = new ZabbixRpcClient(maxReplyBytes);
  }

  /** Forgets the version known for the monitor's endpoint, so the next call asks again. */
  forgetVersion(target: MonitorTarget): void {
    this.versions.delete(zabbixEndpoint(target.url));
  }

  async context(target: MonitorTarget): Promise<CallContext> {
    const endpoint = zabbixEndpoint(target.url);
    return { target, endpoint, version: await this.version(endpoint) };
  }

  private version(endpoint: string): Promise<ZabbixVersion> {
    const cached = this.versions.get(endpoint);
    if (cached) return cached;
    const pending = this.rpc
      .call({ endpoint, method: 'apiinfo.version', params: {}, timeoutMs: this.timeoutMs })
      .then((result) => {
        const version = ZabbixVersion.parse(result);
        if (!version) throw malformed('apiinfo.version', 'the result is not a version');
        return version;
      });
    this.versions.set(endpoint, pending);
    pending.catch(() => {
      if (this.versions.get(endpoint) === pending) this.versions.delete(endpoint);
    });
    return pending;
  }

  /**
   * A call with the monitor's API token when it has one (never a login); else with its session, logging in first
   * when there is none, and once more when Zabbix ended it.
   */
  async call(ctx: CallContext, method: string, params: unknown): Promise<unknown> {
    if (ctx.target.apiToken) return this.callWithApiToken(ctx, method, params, ctx.target.apiToken);
    const token = this.sessions.token(ctx.target, ctx.endpoint) ?? (await this.login(ctx, null));
    try {
      return await this.send(ctx, method, params, token);
    } catch (error) {
      if (!sessionEnded(error)) throw error;
      this.logger.warn(`Zabbix session of monitor ${ctx.target.monitorId} ended (${error.reason}); logging in again`);
    }
    const fresh = await this.login(ctx, token);
    try {
      return await this.send(ctx, method, params, fresh);
    } catch (error) {
      if (!sessionEnded(error)) throw error;
      await this.endSession(ctx.target, ctx.endpoint);
      throw new MonitorAuthenticationError(`Monitor ended the session again right after a new login: ${error.reason}`);
    }
  }

  /** A refused token is final: logging in again cannot renew it, so Zabbix's reason is reported as is. */
  private async callWithApiToken(ctx: CallContext, method: string, params: unknown, token: string): Promise<unknown> {
    try {
      return await this.send(ctx, method, params, token);
    } catch (error) {
      if (error instanceof ZabbixRpcError && TOKEN_REFUSED.test(error.text)) {
        throw new MonitorTokenRefusedError(`Monitor refused the API token: ${error.reason}`);
      }
      throw error;
    }
  }

  private async send(ctx: CallContext, method: string, params: unknown, token: string): Promise<unknown> {
    // The version as known now: a re-login made by a concurrent call may have asked the server again.
    ctx.version = await this.version(ctx.endpoint);
    return this.rpc.call({
      endpoint: ctx.endpoint,
      method,
      params,
      token,
      tokenInHeader: ctx.version.tokenInHeader,
      timeoutMs: this.timeoutMs,
    });
  }

  /**
   * Logs in, sharing one login among concurrent calls for the monitor. With `endedToken` (the token Zabbix
   * just refused), a token some other call obtained meanwhile is used instead, and the version is asked
   * again first: a server upgraded past 6.4 refuses the token in the body.
   */
  private login(ctx: CallContext, endedToken: string | null): Promise<string> {
    const { target, endpoint } = ctx;
    return this.sessions.loginOnce(target.monitorId, async () => {
      if (endedToken !== null) {
        const current = this.sessions.token(target, endpoint);
        if (current !== null && current !== endedToken) return current;
        this.versions.delete(endpoint);
      }
      let token: string;
      try {
        ctx.version = await this.version(endpoint);
        token = await this.userLogin(endpoint, ctx.version, target);
      } catch (error) {
        if (endedToken !== null) await this.endSession(target, endpoint);
        throw error;
      }
      this.sessions.store(target, endpoint, token);
      this.logger.log(`Logged in to Zabbix ${ctx.version.text} for monitor ${target.monitorId}`);
      await this.notify(target, token);
      return token;
    });
  }

  private async userLogin(endpoint: string, version: ZabbixVersion, target: MonitorTarget): Promise<string> {
    const field = version.loginNameField;
    try {
      return await this.sendLogin(endpoint, field, target);
    } catch (error) {
      if (field === 'username' && error instanceof ZabbixRpcError && NO_USERNAME_PARAM.test(error.text)) {
        return this.sendLogin(endpoint, 'user', target).catch(rejectedCredentials);
      }
      return rejectedCredentials(error);
    }
  }

  private async sendLogin(endpoint: string, field: 'username' | 'user', target: MonitorTarget): Promise<string> {
    const result = await this.rpc.call({
      endpoint,
      method: 'user.login',
      params: { [field]: target.username, password: target.password },
      paramsHoldPassword: true,
      timeoutMs: this.timeoutMs,
    });
    if (typeof result !== 'string' || result.length === 0) {
      throw malformed('user.login', 'the result is not a session token');
    }
    return result;
  }

  /** Zabbix ended the session and no new one could be had: forget it and have the store drop it too. */
  private async endSession(target: MonitorTarget, endpoint: string): Promise<void> {
    if (this.sessions.forget(target, endpoint)) await this.notify(target, null);
  }

  private async notify(target: MonitorTarget, token: string | null): Promise<void> {
    if (!this.tokens) return;
    try {
      await this.tokens.keep(target.monitorId, token);
    } catch (error) {
      // The session still works in this process; the next one will log in again if it was not kept. The
      // error's text may quote what was being stored (the token): only its kind is logged.
      this.logger.warn(`Could not keep the Zabbix session of monitor ${target.monitorId}: ${errorKind(error)}`);
    }
  }
}

function sessionEnded(error: unknown): error is ZabbixRpcError {
  return error instanceof ZabbixRpcError && SESSION_ENDED.test(error.text);
}

/**
 * A refusal of user.login in Zabbix's known words is final (retrying only counts toward the account's lockout); a
 * block in words of its own is reported as such. The request held the password, so Zabbix's words are shown only
 * when they are one of its known refusals (which quote nothing of the request); any other reply is named by its
 * code alone, and is not final: it may be the server's own trouble.
 */
function rejectedCredentials(error: unknown): never {
  if (!(error instanceof ZabbixRpcError)) throw error;
  const words = error.rpcData || error.rpcMessage;
  if (ACCOUNT_BLOCKED.test(words)) {
    throw new MonitorAccountBlockedError(`Monitor account is temporarily blocked after failed logins: ${words}`);
  }
  if (KNOWN_LOGIN_REFUSALS.some((refusal) => refusal.test(words))) {
    throw new MonitorLoginRefusedError(`Monitor rejected the credentials: ${words}`);
  }
  throw new MonitorAuthenticationError(`Monitor rejected the credentials (Zabbix error code ${error.code ?? 'none'})`);
}

/** The class and code of an error, which say what failed without quoting anything. */
function errorKind(error: unknown): string {
  const { name, code } = (error ?? {}) as { name?: unknown; code?: unknown };
  const kind = typeof name === 'string' && /^\w{1,64}$/.test(name) ? name : 'Error';
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(code) ? `${kind} (${code})` : kind;
}
