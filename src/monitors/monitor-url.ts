/** What a redacted secret reads as in a monitor URL shown by the API. */
export const REDACTED = '***';

/** Query or fragment parameter names that carry a secret: token, api_key, apikey, password, passwd, auth... */
const SECRET_NAME = /token|key|pass|pwd|secret|auth|session|signature|credential/i;

/** `scheme://` then the authority's userinfo, up to the last `@` before the path, query or fragment. */
const USERINFO = /^([a-z][a-z0-9+.-]*:[\\/]*)[^\\/?#]*@/i;

/** True when the URL carries a user name or password (`http://user:pass@host`), as fetch and node:http read it. */
export function hasUserinfo(url: string): boolean {
  try {
    const parsed = new URL(url.trim());
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return USERINFO.test(url.trim());
  }
}

/**
 * The URL as the API shows it: userinfo replaced by `***@`, and the value of every query or fragment parameter
 * named like a secret replaced by `***`. Everything else is kept character for character, so a URL with nothing
 * to hide reads exactly as stored. Applied on read, so rows stored before URLs were checked are covered too.
 */
export function redactMonitorUrl(url: string): string {
  const withoutUserinfo = url.replace(USERINFO, `$1${REDACTED}@`);
  const hash = withoutUserinfo.indexOf('#');
  const beforeHash = hash < 0 ? withoutUserinfo : withoutUserinfo.slice(0, hash);
  const fragment = hash < 0 ? null : withoutUserinfo.slice(hash + 1);
  const question = beforeHash.indexOf('?');
  const base = question < 0 ? beforeHash : beforeHash.slice(0, question);
  const query = question < 0 ? null : beforeHash.slice(question + 1);
  return (
    base + (query === null ? '' : `?${redactParams(query)}`) + (fragment === null ? '' : `#${redactParams(fragment)}`)
  );
}

function redactParams(params: string): string {
  return params
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      if (equals < 0) return pair;
      const name = pair.slice(0, equals);
      return SECRET_NAME.test(decodedName(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
}

/** The parameter name as a server reads it (`api%5Fkey` is `api_key`). */
function decodedName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
