/** What stands in for a secret, as in create-logger's redaction. */
export const REDACTED = '[redacted]';

/** Query parameter names whose values are secrets: any name holding one of these words, in any case. */
const SECRET_NAME =
  /token|secret|passw|pwd|api[-_]?key|access[-_]?key|private[-_]?key|auth|credential|session|signature|^sig$|jwt|cookie/i;
/** A JWT (this service's bearer tokens) under any name. */
const JWT = /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/;
/** `scheme://user:password@` at the start of an absolute URL (an absolute-form request target, a callback URL). */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i;

/**
 * The URL as a log line may show it: the value of every query parameter named like a secret (`access_token`,
 * `api_key`, `password`...) or holding a JWT, and any user:password, become `[redacted]`; the rest is kept as sent.
 * A URL with no query and no credentials comes back as it is, at the cost of two scans.
 */
export function redactUrl(url: string): string {
  const withoutUserinfo = url.includes('@') ? url.replace(USERINFO, `$1${REDACTED}@`) : url;
  const queryStart = withoutUserinfo.indexOf('?');
  if (queryStart === -1) return withoutUserinfo;
  const hashStart = withoutUserinfo.indexOf('#', queryStart);
  const queryEnd = hashStart === -1 ? withoutUserinfo.length : hashStart;
  const query = withoutUserinfo
    .slice(queryStart + 1, queryEnd)
    .split('&')
    .map(redactParameter)
    .join('&');
  return `${withoutUserinfo.slice(0, queryStart + 1)}${query}${withoutUserinfo.slice(queryEnd)}`;
}

function redactParameter(parameter: string): string {
  const equals = parameter.indexOf('=');
  if (equals === -1) return parameter;
  const name = decoded(parameter.slice(0, equals));
  const value = parameter.slice(equals + 1);
  return SECRET_NAME.test(name) || JWT.test(decoded(value)) ? `${parameter.slice(0, equals)}=${REDACTED}` : parameter;
}

/** Percent-decoded as a query string is (`+` is a space); the text itself when it is not valid percent-encoding. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
