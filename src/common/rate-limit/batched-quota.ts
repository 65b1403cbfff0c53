import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';

/** Largest batch of points a process takes locally before it counts them in the shared limiter. */
export const MAX_QUOTA_BATCH = 50;
/** The longest locally taken points wait before they are counted in the shared limiter. */
export const QUOTA_FLUSH_MS = 100;

/**
 * Points a process may take without asking the shared limiter: a hundredth of the limit, at most MAX_QUOTA_BATCH;
 * below 2 (a limit under 200) every point is counted in the shared limiter first, exactly.
 */
export function quotaBatch(points: number): number {
  const batch = Math.min(MAX_QUOTA_BATCH, Math.floor(points / 100));
  return batch >= 2 ? batch : 0;
}

interface KeyState {
  /** Points the shared limiter held for the key at its last answer. */
  known: number;
  /** performance.now() when the shared limiter's window of that answer ends. */
  windowEnds: number;
  /** Points taken here and not sent yet. */
  pending: number;
  /** Points sent, not answered yet. */
  sending: number;
}

/**
 * A quota counted in a shared limiter (Redis, every replica), with a local pre-check: while a key is far from its
 * limit (at least one batch below it, by the shared count last seen plus what this process took since), a point is
 * taken here at once, and the points taken are counted in the shared limiter in one call per batch or per
 * QUOTA_FLUSH_MS. Near the limit, and after the window the last answer named, each point is counted there first,
 * exactly as before. Bound: one process's own points never pass the limit; each replica may let through at most
 * 2 × batch points that the others have not seen yet, so N replicas accept at most limit + (2N − 1) × batch in a
 * window. At shutdown the points still unsent are sent (QuotasModule).
 */
export class BatchedQuota {
  private readonly keys = new Map<string, KeyState>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly points: number,
    private readonly batch = quotaBatch(points),
  ) {}

  /**
   * 0 when `key` may take a point now (it is taken), else the whole seconds until it may try again. A point counted
   * in the shared limiter carries the points taken here but not sent yet, so that count is exact.
   */
  consume(key: string): number | Promise<number> {
    if (this.takeLocally(key)) return 0;
    const state = this.keys.get(key);
    const carried = state?.pending ?? 0;
    if (state) {
      state.pending = 0;
      state.sending += carried;
    }
    const answered = (answer: RateLimiterRes) => {
      if (state) state.sending -= carried;
      this.learn(key, answer);
    };
    return this.limiter.consume(key, carried + 1).then(
      (answer) => {
        answered(answer);
        return 0;
      },
      (rejection: unknown) => {
        if (state) state.sending -= carried;
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        answered(rejection);
        return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      },
    );
  }

  /** Sends every point taken locally, and forgets the keys whose window has ended. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = performance.now();
    for (const [key, state] of this.keys) {
      if (state.pending + state.sending === 0 && now >= state.windowEnds) this.keys.delete(key);
    }
    await Promise.all([...this.keys.keys()].map((key) => this.send(key)));
  }

  private takeLocally(key: string): boolean {
    const state = this.keys.get(key);
    // Unknown, or its window has ended: the point is counted in the shared limiter, whose answer is then known.
    if (this.batch === 0 || !state || performance.now() >= state.windowEnds) return false;
    const taken = state.known + state.sending + state.pending;
    if (taken + 1 > this.points - this.batch || state.pending >= this.batch) return false;
    state.pending += 1;
    if (state.pending >= this.batch) void this.send(key);
    else this.timer ??= setTimeout(() => void this.flush(), QUOTA_FLUSH_MS).unref();
    return true;
  }

  /** The shared count and window of an answer; answers may arrive out of order, so a count only grows in a window. */
  private learn(key: string, answer: RateLimiterRes): void {
    if (this.batch === 0) return;
    const now = performance.now();
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { known: 0, windowEnds: 0, pending: 0, sending: 0 }));
    const sameWindow = now < state.windowEnds;
    state.known = sameWindow ? Math.max(state.known, answer.consumedPoints) : answer.consumedPoints;
    state.windowEnds = now + answer.msBeforeNext;
  }

  /** Counts the key's pending points in the shared limiter in one call. */
  private async send(key: string): Promise<void> {
    const state = this.keys.get(key);
    if (!state || state.pending === 0) return;
    const points = state.pending;
    state.pending = 0;
    state.sending += points;
    let answer: RateLimiterRes | undefined;
    try {
      answer = await this.limiter.consume(key, points);
    } catch (rejection) {
      // Past the limit: the points were taken already, and the count now says so.
      if (rejection instanceof RateLimiterRes) answer = rejection;
    } finally {
      state.sending -= points;
    }
    if (answer) this.learn(key, answer);
    // No answer (the limiter failed): the next point is counted there exactly.
    else state.windowEnds = 0;
  }
}
