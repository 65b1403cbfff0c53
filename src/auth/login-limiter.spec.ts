import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { AppConfig } from '../config/app-config';
import { LoginLimiter } from './login-limiter';
import { loginRateLimitOptions } from './login-rate-limits';

const MAX_FAILURES = 3;
const WINDOW_SECONDS = 60;
const DAILY_MAX_FAILURES = 5;

/** The limiter on the library's in-memory counters, with the options the service gives its Redis ones. */
function limiter(): LoginLimiter {
  const options = loginRateLimitOptions({
    auth: {
      loginMaxFailures: MAX_FAILURES,
      loginWindowSeconds: WINDOW_SECONDS,
      loginDailyFailures: DAILY_MAX_FAILURES,
    },
    queue: { prefix: 'unit' },
  } as AppConfig);
  return new LoginLimiter({
    byUserAndClient: new RateLimiterMemory(options.byUserAndClient),
    byClientPerDay: new RateLimiterMemory(options.byClientPerDay),
  });
}

/** Admits and fails `times` attempts; returns what each admission answered. */
async function fail(subject: LoginLimiter, username: string, client: string, times: number): Promise<number[]> {
  const answers: number[] = [];
  for (let i = 0; i < times; i += 1) answers.push(await subject.admit(username, client));
  return answers;
}

describe(LoginLimiter.name, () => {
  it('admits as many failures as the limit, then refuses for the window, counting the seconds', async () => {
    const subject = limiter();
    expect(await fail(subject, 'admin', 'a', MAX_FAILURES)).toEqual([0, 0, 0]);
    expect(await subject.admit('admin', 'a')).toBe(WINDOW_SECONDS);
  });

  it("clears a username's failures from a client when that username succeeds there", async () => {
    const subject = limiter();
    await fail(subject, 'admin', 'a', MAX_FAILURES - 1);
    expect(await subject.admit('admin', 'a')).toBe(0);
    await subject.succeeded('admin', 'a');
    expect(await fail(subject, 'admin', 'a', MAX_FAILURES)).toEqual([0, 0, 0]);
  });

  it("keeps a username's failures when another username succeeds from the same client", async () => {
    const subject = limiter();
    await fail(subject, 'admin', 'a', MAX_FAILURES - 1);
    expect(await subject.admit('other', 'a')).toBe(0);
    await subject.succeeded('other', 'a');
    await fail(subject, 'admin', 'a', 1);
    expect(await subject.admit('admin', 'a')).toBeGreaterThan(0);
  });

  it('neither counts nor clears a forgiven attempt (a right password refused for its privilege)', async () => {
    const subject = limiter();
    await fail(subject, 'reader', 'a', MAX_FAILURES - 1);
    for (let i = 0; i < MAX_FAILURES + 2; i += 1) {
      expect(await subject.admit('reader', 'a')).toBe(0);
      await subject.forgive('reader', 'a');
    }
    await fail(subject, 'reader', 'a', 1);
    expect(await subject.admit('reader', 'a')).toBeGreaterThan(0);
  });

  it('counts each username and client pair on its own', async () => {
    const subject = limiter();
    await fail(subject, 'admin', 'a', MAX_FAILURES);
    expect(await subject.admit('admin', 'a')).toBeGreaterThan(0);
    expect(await subject.admit('admin', 'b')).toBe(0);
    expect(await subject.admit('other', 'a')).toBe(0);
  });

  it('counts a username in any case and with surrounding spaces as one', async () => {
    const subject = limiter();
    await fail(subject, 'ADMIN', 'a', 1);
    await fail(subject, ' admin ', 'a', 1);
    await fail(subject, 'Admin', 'a', 1);
    expect(await subject.admit('admin', 'a')).toBeGreaterThan(0);
  });

  it('refuses a client for a day once it failed the daily number of times across usernames', async () => {
    const subject = limiter();
    for (let i = 0; i < DAILY_MAX_FAILURES; i += 1) expect(await subject.admit(`user-${i}`, 'a')).toBe(0);
    expect(await subject.admit('fresh', 'a')).toBe(86_400);
    expect(await subject.admit('fresh', 'b')).toBe(0);
  });

  it('does not count successes toward the daily number', async () => {
    const subject = limiter();
    for (let i = 0; i < DAILY_MAX_FAILURES * 2; i += 1) {
      expect(await subject.admit('admin', 'a')).toBe(0);
      await subject.succeeded('admin', 'a');
    }
  });

  it('does not count an attempt the daily cap refused against its username', async () => {
    const subject = limiter();
    for (let i = 0; i < DAILY_MAX_FAILURES; i += 1) await subject.admit(`user-${i}`, 'a');
    for (let i = 0; i < MAX_FAILURES + 1; i += 1) expect(await subject.admit('admin', 'a')).toBeGreaterThan(0);
    expect((await subject['limits'].byUserAndClient.get('a admin'))?.consumedPoints ?? 0).toBe(0);
  });
});
