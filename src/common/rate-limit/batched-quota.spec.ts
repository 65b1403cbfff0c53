import { jest } from '@jest/globals';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { BatchedQuota, MAX_QUOTA_BATCH, quotaBatch } from './batched-quota';

/** Takes `n` points for `key`, one after another as requests do; returns how many were allowed. */
async function take(quota: BatchedQuota, key: string, n: number): Promise<number> {
  let allowed = 0;
  for (let i = 0; i < n; i++) if ((await quota.consume(key)) === 0) allowed += 1;
  return allowed;
}

/** Points the shared limiter holds for `key`. */
async function shared(limiter: RateLimiterMemory, key: string): Promise<number> {
  return (await limiter.get(key))?.consumedPoints ?? 0;
}

describe(BatchedQuota.name, () => {
  it('batches a hundredth of the limit, at most 50, and none under a limit of 200', () => {
    expect(quotaBatch(120)).toBe(0);
    expect(quotaBatch(199)).toBe(0);
    expect(quotaBatch(200)).toBe(2);
    expect(quotaBatch(1000)).toBe(10);
    expect(quotaBatch(1_000_000)).toBe(MAX_QUOTA_BATCH);
  });

  it('counts every point in the shared limiter first below a limit of 200, exactly at the limit', async () => {
    const limiter = new RateLimiterMemory({ points: 120, duration: 60 });
    const quota = new BatchedQuota(limiter, 120);
    expect(await take(quota, 'u1', 125)).toBe(120);
    expect(await shared(limiter, 'u1')).toBe(125);
    const wait = await quota.consume('u1');
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
  });

  it('takes points locally far from the limit and sends them in batches, one process never passing the limit', async () => {
    const limiter = new RateLimiterMemory({ points: 1000, duration: 60 });
    const consume = jest.spyOn(limiter, 'consume');
    const quota = new BatchedQuota(limiter, 1000);
    expect(await take(quota, 'u1', 1100)).toBe(1000);
    await quota.flush();
    // All counted in the end, the refused ones too, as before.
    expect(await shared(limiter, 'u1')).toBe(1100);
    // Far fewer calls than points: batches of 10 up to one batch below the limit, then one call per point.
    expect(consume.mock.calls.length).toBeLessThan(300);
    expect(consume.mock.calls.some(([, points]) => points === 10)).toBe(true);
  });

  it('sends points taken locally within 100 ms, without waiting for a full batch', async () => {
    const limiter = new RateLimiterMemory({ points: 1000, duration: 60 });
    const quota = new BatchedQuota(limiter, 1000);
    expect(await take(quota, 'u1', 4)).toBe(4);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await shared(limiter, 'u1')).toBe(4);
  });

  it('keeps two processes on one shared limiter within the bound of (2 × 2 − 1) batches past the limit', async () => {
    const limiter = new RateLimiterMemory({ points: 1000, duration: 60 });
    const [a, b] = [new BatchedQuota(limiter, 1000), new BatchedQuota(limiter, 1000)];
    let allowed = 0;
    for (let i = 0; i < 1200; i++) if ((await (i % 2 === 0 ? a : b).consume('u1')) === 0) allowed += 1;
    await Promise.all([a.flush(), b.flush()]);
    expect(allowed).toBeGreaterThanOrEqual(1000 - 2 * 10);
    expect(allowed).toBeLessThanOrEqual(1000 + 3 * 10);
    expect(await shared(limiter, 'u1')).toBe(1200);
  });

  it('counts each user apart', async () => {
    const limiter = new RateLimiterMemory({ points: 200, duration: 60 });
    const quota = new BatchedQuota(limiter, 200);
    expect(await take(quota, 'u1', 210)).toBe(200);
    expect(await take(quota, 'u2', 5)).toBe(5);
  });
});
