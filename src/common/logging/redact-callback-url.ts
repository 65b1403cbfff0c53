import { REDACTED } from './redact-url';

/** A path segment this long is taken for a token (Slack's 24 characters, Discord's 68, a UUID). */
const TOKEN_LENGTH = 24;
/** A shorter segment holding a digit is taken for one from this length on (`a1b2c3d4e5f6g7h8`). */
const TOKEN_WITH_DIGIT_LENGTH = 16;

/**
 * A callback URL as a response, the dashboard or a log line shows it to users other than the one who gave it:
 * scheme, host, port and path, with every query value and every path segment that looks like a token
 * `[redacted]`. Receivers put their secret in either place (`?code=` of Azure Functions, the last segments of
 * Slack's and Discord's hooks), under names no list can know, so a value is redacted whatever its name. The
 * stored URL is not touched: deliveries and retries still call the one the user gave.
 */
export function redactCallbackUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return REDACTED;
  }
  const path = parsed.pathname
    .split('/')
    .map((segment) => (looksLikeToken(segment) ? REDACTED : segment))
    .join('/');
  const query = parsed.search
    ? `?${parsed.search
        .slice(1)
        .split('&')
        .map((parameter) =>
          parameter.includes('=') ? `${parameter.slice(0, parameter.indexOf('='))}=${REDACTED}` : REDACTED,
        )
        .join('&')}`
    : '';
  return `${parsed.protocol}//${parsed.host}${path}${query}`;
}

function looksLikeToken(segment: string): boolean {
  return segment.length >= TOKEN_LENGTH || (segment.length >= TOKEN_WITH_DIGIT_LENGTH && /\d/.test(segment));
}
