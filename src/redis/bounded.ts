import { ServiceUnavailableError } from '../common/http/domain-error';

/**
 * The longest a request waits for one Redis reply. The API answers within 2 s whatever Redis does; this leaves
 * the rest of the request a whole second inside that, which a loaded machine's stalls need (CI saw 1.5 s + 0.5 s
 * overrun on a busy two-core runner).
 */
export const REDIS_REPLY_TIMEOUT_MS = 1000;

export const REDIS_UNAVAILABLE = 'Redis is unavailable; try again later';

/**
 * ioredis queues commands while Redis is down instead of failing them; a caller that must answer fast bounds
 * the wait and reports Redis as unavailable.
 */
export async function bounded<T>(work: Promise<T>, timeoutMs: number, what = 'Redis'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceUnavailableError(`${what} is unavailable; try again later`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Redis work for a request: 503 at once while the connection is down, before anything is sent (ioredis would hold
 * the commands about 30 s, then fail them with a 500); 503 after `timeoutMs` when Redis is connected but stalled.
 * With the second, the work may still complete after the answer.
 */
export function redisReply<T>(
  connection: { readonly status: string },
  work: () => Promise<T>,
  timeoutMs = REDIS_REPLY_TIMEOUT_MS,
): Promise<T> {
  if (connection.status !== 'ready') return Promise.reject(new ServiceUnavailableError(REDIS_UNAVAILABLE));
  return bounded(work(), timeoutMs);
}
