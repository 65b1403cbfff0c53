/** The longest reason kept; dead letters whose errors differ only past it share a reason. */
export const MAX_REASON_LENGTH = 200;

/** What a dead letter with an empty error is counted under. */
export const NO_REASON = '(no error message)';

const URL = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>()]+/gi;
const QUOTED = /"[^"]*"|'[^']*'|`[^`]*`/g;
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const IPV6_WITH_PORT = /\[[0-9a-f:.]*\](?::\d+)?/gi;
const IPV4 = /\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g;
/** A host name with a port, as in `connect ECONNREFUSED zabbix.example.com:443`. */
const HOST_WITH_PORT = /\b[a-z0-9-]+(?:\.[a-z0-9-]+)+:\d+\b/gi;
/** The name a DNS lookup failed for. */
const LOOKED_UP_HOST = /\b(ENOTFOUND|EAI_AGAIN) [^\s()]+/g;
/** Long hex runs: request ids, hashes, object ids (with at least one digit, so plain words stay). */
const HEX_ID = /\b(?=[0-9a-f]*\d)[0-9a-f]{12,}\b/gi;
/** Numbers, except an HTTP status (`HTTP 500`), which says what went wrong rather than to which object. */
const NUMBER = /(HTTP )?\b\d+(?:\.\d+)?\b/g;

/**
 * The reason a task failed, without what differs from one failure of that kind to the next (ids, numbers,
 * addresses, URLs, quoted values), so failures can be counted by kind. `Monitor 12 not found` and
 * `Monitor 40 not found` are both `Monitor <n> not found`; `connect ECONNREFUSED 127.0.0.1:5999 (host.get)` is
 * `connect ECONNREFUSED <addr> (host.get)`.
 */
export function normaliseErrorReason(message: string | null | undefined): string {
  const reason = (message ?? '')
    .replace(URL, '<url>')
    .replace(QUOTED, '<value>')
    .replace(UUID, '<uuid>')
    .replace(IPV6_WITH_PORT, '<addr>')
    .replace(IPV4, '<addr>')
    .replace(HOST_WITH_PORT, '<addr>')
    .replace(LOOKED_UP_HOST, '$1 <host>')
    .replace(HEX_ID, '<id>')
    .replace(NUMBER, (match: string, http: string | undefined) => (http ? match : '<n>'))
    .replace(/\s+/g, ' ')
    .trim();
  if (!reason) return NO_REASON;
  return reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 3)}...` : reason;
}
