import { createHash } from 'node:crypto';
import { InvalidInputError } from '../../common/http/domain-error';

/** The request header (IETF httpapi "The Idempotency-Key HTTP Header Field"; Stripe's semantics). */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Set to `true` on an answer that returns the task an earlier request with the same key got. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long a key stays bound to its task, as Stripe keeps them. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 86_400;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** What makes two requests "the same request" for a key: everything the route reads from the client. */
export interface RequestShape {
  method: string;
  path: string;
  query: unknown;
  body: unknown;
}

/**
 * The key a client sent, or undefined when it sent none. Empty, longer than 255 characters, or not printable
 * ASCII: a 400 naming the header.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header.join(', ') : header;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_ASCII.test(key)) {
    throw new InvalidInputError(
      `${IDEMPOTENCY_KEY_HEADER} must be 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`,
    );
  }
  return key;
}

/** A hash of method, path, query and body, the same whatever order the client wrote their fields in. */
export function requestFingerprint(request: RequestShape): string {
  const shape = {
    method: request.method.toUpperCase(),
    path: request.path,
    query: request.query ?? {},
    body: request.body ?? {},
  };
  return createHash('sha256').update(canonicalJson(shape)).digest('hex');
}

/** Where a user's key is kept: scoped per user, the key itself hashed (it is the client's free text). */
export function idempotencyRecordKey(prefix: string, userId: number, key: string): string {
  return `${prefix}:idem:${userId}:${createHash('sha256').update(key).digest('hex')}`;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
