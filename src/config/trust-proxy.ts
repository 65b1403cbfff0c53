import { isIP } from 'node:net';

/** What Express's `trust proxy` setting is given: off, every hop, a number of hops, or the proxies' addresses. */
export type TrustProxy = boolean | number | string[];

/** proxy-addr's names for address ranges, as Express accepts them. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const MAX_HOPS = 10;

function isAddressOrRange(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * `server.trust_proxy` as the environment or the file gives it: `false`/`true`, a hop count from 1 to 10 (the
 * client is the address that many entries from the end of `X-Forwarded-For`: what the nearest proxies appended,
 * whatever the client sent), or a comma-separated list of the proxies' addresses, CIDR ranges or `loopback`,
 * `linklocal`, `uniquelocal`. Undefined for anything else.
 */
export function parseTrustProxy(value: unknown): TrustProxy | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 0 && value <= MAX_HOPS ? value || false : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === 'true') return true;
  if (text === 'false' || text === '') return false;
  if (/^\d+$/.test(text)) return parseTrustProxy(Number(text));
  const entries = text.split(',').map((entry) => entry.trim());
  return entries.every(isAddressOrRange) ? entries : undefined;
}
