import type { AppConfig } from '../config/app-config';
import { LoginLimiter } from './login-limiter';

const MAX_FAILURES = 3;
const WINDOW_SECONDS = 60;
const WINDOW_MS = WINDOW_SECONDS * 1000;
/** The limiter's own bound on how many clients it remembers (MAX_TRACKED_CLIENTS in login-limiter.ts). */
const TRACKED_CLIENTS_CAP = 10_000;
const T0 = 1_700_000_000_000;

function limiter(): LoginLimiter {
  return new LoginLimiter({
    auth: { loginMaxFailures: MAX_FAILURES, loginWindowSeconds: WINDOW_SECONDS },
  } as AppConfig);
}

function fail(subject: LoginLimiter, client: string, times: number, now: number): void {
  for (let i = 0; i < times; i += 1) subject.recordFailure(client, now);
}

describe(LoginLimiter.name, () => {
  it('lets a client try again while it has fewer failures than the limit', () => {
    const subject = limiter();
    fail(subject, 'a', MAX_FAILURES - 1, T0);
    expect(subject.retryAfterSeconds('a', T0)).toBe(0);
  });

  it('refuses a client that reached the limit until its window ends, counting the seconds down', () => {
    const subject = limiter();
    fail(subject, 'a', MAX_FAILURES, T0);
    expect(subject.retryAfterSeconds('a', T0)).toBe(WINDOW_SECONDS);
    expect(subject.retryAfterSeconds('a', T0 + 20_000)).toBe(WINDOW_SECONDS - 20);
    expect(subject.retryAfterSeconds('a', T0 + WINDOW_MS - 1)).toBe(1);
  });

  it('lets the client in again once the window has passed', () => {
    const subject = limiter();
    fail(subject, 'a', MAX_FAILURES, T0);
    expect(subject.retryAfterSeconds('a', T0 + WINDOW_MS)).toBe(0);
  });

  it('starts a fresh count after the window expires instead of adding to the old one', () => {
    const subject = limiter();
    fail(subject, 'a', MAX_FAILURES, T0);
    fail(subject, 'a', MAX_FAILURES - 1, T0 + WINDOW_MS);
    expect(subject.retryAfterSeconds('a', T0 + WINDOW_MS)).toBe(0);
    subject.recordFailure('a', T0 + WINDOW_MS);
    expect(subject.retryAfterSeconds('a', T0 + WINDOW_MS)).toBe(WINDOW_SECONDS);
  });

  it('does not extend the window with failures made inside it', () => {
    const subject = limiter();
    subject.recordFailure('a', T0);
    fail(subject, 'a', MAX_FAILURES - 1, T0 + 50_000);
    expect(subject.retryAfterSeconds('a', T0 + 50_000)).toBe(10);
  });

  it('forgets the failures of a client that logs in successfully', () => {
    const subject = limiter();
    fail(subject, 'a', MAX_FAILURES - 1, T0);
    subject.recordSuccess('a');
    fail(subject, 'a', MAX_FAILURES - 1, T0 + 1_000);
    expect(subject.retryAfterSeconds('a', T0 + 1_000)).toBe(0);
  });

  it('lifts a lockout when the client logs in successfully', () => {
    const subject = limiter();
    fail(subject, 'a', MAX_FAILURES, T0);
    subject.recordSuccess('a');
    expect(subject.retryAfterSeconds('a', T0)).toBe(0);
  });

  it('counts each client on its own', () => {
    const subject = limiter();
    fail(subject, 'a', MAX_FAILURES, T0);
    fail(subject, 'b', MAX_FAILURES - 1, T0);
    expect(subject.retryAfterSeconds('a', T0)).toBeGreaterThan(0);
    expect(subject.retryAfterSeconds('b', T0)).toBe(0);
    expect(subject.retryAfterSeconds('c', T0)).toBe(0);
  });

  describe('when it tracks as many clients as it may', () => {
    const trackedClients = (subject: LoginLimiter) => subject['windows'].size;

    it('never remembers more clients than its cap', () => {
      const subject = limiter();
      for (let i = 0; i < TRACKED_CLIENTS_CAP + 50; i += 1) subject.recordFailure(`10.0.${i >> 8}.${i & 255}`, T0);
      expect(trackedClients(subject)).toBe(TRACKED_CLIENTS_CAP);
    });

    it('drops clients whose window has expired before anything else', () => {
      const subject = limiter();
      // 'locked-out' is tracked first, so evicting by age alone would pick it rather than 'stale'.
      subject.recordFailure('locked-out', T0);
      subject.recordFailure('stale', T0 + 1_000);
      fail(subject, 'locked-out', MAX_FAILURES, T0 + WINDOW_MS); // a new window for the same client
      for (let i = 0; i < TRACKED_CLIENTS_CAP - 2; i += 1) subject.recordFailure(`filler-${i}`, T0 + WINDOW_MS);

      const later = T0 + WINDOW_MS + 1_000; // the stale window is over, the lockout is not
      subject.recordFailure('newcomer', later);

      expect(subject.retryAfterSeconds('locked-out', later)).toBeGreaterThan(0);
      expect(trackedClients(subject)).toBeLessThanOrEqual(TRACKED_CLIENTS_CAP);
      subject.recordFailure('newcomer', later);
      subject.recordFailure('newcomer', later);
      expect(subject.retryAfterSeconds('newcomer', later)).toBeGreaterThan(0);
    });

    it('forgets the longest-tracked client when every window is still open', () => {
      const subject = limiter();
      fail(subject, 'oldest', MAX_FAILURES, T0);
      for (let i = 0; i < TRACKED_CLIENTS_CAP - 1; i += 1) subject.recordFailure(`filler-${i}`, T0);

      subject.recordFailure('newcomer', T0 + 1_000);

      expect(subject.retryAfterSeconds('oldest', T0 + 1_000)).toBe(0);
      expect(trackedClients(subject)).toBe(TRACKED_CLIENTS_CAP);
    });
  });
});
