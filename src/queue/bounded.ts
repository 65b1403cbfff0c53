import { ServiceUnavailableError } from '../common/http/domain-error';

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
