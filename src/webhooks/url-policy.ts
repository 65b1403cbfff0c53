import { Inject, Injectable, Optional } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { InvalidInputError } from '../common/http/domain-error';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { classifyAddress, type ForbiddenRange } from './ip-ranges';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (what the OS resolver would give a connect). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** How long a callback host may take to resolve; the enqueue must still answer within the API's 2 s. */
export const RESOLVE_TIMEOUT_MS = 700;
export const MAX_CALLBACK_URL_LENGTH = 2048;

/** Names that reach a cloud metadata service whatever they resolve to. */
const METADATA_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** Ranges allow_private does not open: only listing the host in allowed_hosts does. */
const ALWAYS_FORBIDDEN = new Set<ForbiddenRange>(['metadata', 'multicast', 'unspecified', 'invalid']);

/** Injection token of a Resolver to use instead of the system's (tests pass their own). */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');

export const systemResolver: Resolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** Why a callback URL may not be called; the message names what is wrong and never echoes credentials. */
export class ForbiddenCallbackError extends Error {}

/**
 * Where webhooks may go. A callback URL must be http(s), and every address its host resolves to must be a
 * public one: loopback, private, link-local, shared (CGNAT), reserved and metadata addresses are refused unless
 * `webhook.allow_private` is set (which still refuses metadata, multicast and unspecified addresses) or the host
 * is listed in `webhook.allowed_hosts` (which lets anything through). The check runs at enqueue and again at
 * delivery, where the delivery connects to the very address that passed, so a DNS answer that changes in
 * between (rebinding) cannot redirect it.
 */
@Injectable()
export class UrlPolicy {
  private readonly allowedHosts: Set<string>;
  private readonly allowPrivate: boolean;
  private readonly resolver: Resolver;

  constructor(@Inject(APP_CONFIG) config: AppConfig, @Optional() @Inject(WEBHOOK_RESOLVER) resolver?: Resolver) {
    this.resolver = resolver ?? systemResolver;
    this.allowedHosts = new Set(config.webhook.allowedHosts.map(normalizeHost));
    this.allowPrivate = config.webhook.allowPrivate;
  }

  /** The enqueue-time check: a 400 naming callback_url when the URL may not be called; its normal form otherwise. */
  async checkCallbackUrl(raw: string): Promise<string> {
    try {
      const url = parseCallbackUrl(raw);
      await this.resolve(url);
      return url.href;
    } catch (error) {
      if (error instanceof ForbiddenCallbackError) throw new InvalidInputError(`callback_url ${error.message}`);
      throw error;
    }
  }

  /** The delivery-time check: the address to connect to, or ForbiddenCallbackError. */
  async resolve(url: URL): Promise<ResolvedAddress> {
    const host = normalizeHost(url.hostname);
    const listed = this.allowedHosts.has(host);
    if (!listed && METADATA_HOSTS.has(host.replace(/\.$/, ''))) {
      throw new ForbiddenCallbackError(`host ${host} is a cloud metadata service`);
    }
    const literal = isIP(host);
    const addresses = literal ? [{ address: host, family: literal as 4 | 6 }] : await this.lookup(host);
    if (addresses.length === 0) throw new ForbiddenCallbackError(`host ${host} does not resolve`);
    if (!listed) {
      for (const { address } of addresses) {
        const range = classifyAddress(address);
        if (range && (ALWAYS_FORBIDDEN.has(range) || !this.allowPrivate)) {
          const via = literal ? '' : ` (${host} resolves to ${address})`;
          throw new ForbiddenCallbackError(`points to a ${range} address${via}; such addresses are not allowed`);
        }
      }
    }
    return addresses[0];
  }

  private async lookup(host: string): Promise<ResolvedAddress[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ForbiddenCallbackError(`host ${host} did not resolve within ${RESOLVE_TIMEOUT_MS} ms`)),
        RESOLVE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([this.resolver(host), timeout]);
    } catch (error) {
      if (error instanceof ForbiddenCallbackError) throw error;
      throw new ForbiddenCallbackError(`host ${host} does not resolve`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** An http(s) URL without credentials, or ForbiddenCallbackError saying what is wrong. */
export function parseCallbackUrl(raw: string): URL {
  if (raw.length > MAX_CALLBACK_URL_LENGTH) {
    throw new ForbiddenCallbackError(`must be at most ${MAX_CALLBACK_URL_LENGTH} characters long`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ForbiddenCallbackError('must be an absolute http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ForbiddenCallbackError('must be an http or https URL');
  }
  if (url.username || url.password) throw new ForbiddenCallbackError('must not carry credentials');
  if (!url.hostname) throw new ForbiddenCallbackError('must name a host');
  return url;
}

/** Lower case, without IPv6 brackets: how hosts are compared. */
export function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
}
