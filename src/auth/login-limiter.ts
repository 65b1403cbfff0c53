import { secondsUntilAllowed } from '../common/rate-limit/insured-rate-limiter';
import type { LoginRateLimits } from './login-rate-limits';

/** Longer than any stored username (64): names beyond it share a counter, which only ever holds failures. */
const KEPT_USERNAME_LENGTH = 65;

/**
 * Failed logins, as OWASP's authentication guidance and rate-limiter-flexible's login recipe count them:
 * consecutive failures per username and client, cleared only by that username's success from that client, and
 * failures per client per day. Each attempt is counted before the password is checked and forgiven afterwards
 * when it was right, so concurrent guesses cannot all pass while their hashes are being verified.
 *
 * Usernames are counted trimmed and in lower case, as they are matched (`ADMIN` is `admin`).
 */
export class LoginLimiter {
  constructor(private readonly limits: LoginRateLimits) {}

  /** 0 when the attempt may go on (it is now counted as a failure), else the seconds until it may be tried. */
  async admit(username: string, client: string): Promise<number> {
    const pair = pairKey(username, client);
    const refusedPair = await secondsUntilAllowed(this.limits.byUserAndClient, pair);
    if (refusedPair > 0) return refusedPair;
    const refusedClient = await secondsUntilAllowed(this.limits.byClientPerDay, client);
    if (refusedClient > 0) await this.limits.byUserAndClient.reward(pair);
    return refusedClient;
  }

  /** The password was right and the user let in: clears this username's failures from this client. */
  async succeeded(username: string, client: string): Promise<void> {
    await Promise.all([
      this.limits.byUserAndClient.delete(pairKey(username, client)),
      this.limits.byClientPerDay.reward(client),
    ]);
  }

  /**
   * The password was right but the user may not have what they asked for (the dashboard's 403): the attempt was
   * no failure, and no success that clears earlier ones.
   */
  async forgive(username: string, client: string): Promise<void> {
    await Promise.all([
      this.limits.byUserAndClient.reward(pairKey(username, client)),
      this.limits.byClientPerDay.reward(client),
    ]);
  }
}

export function normalizeUsername(username: string): string {
  return username.trim().toLowerCase();
}

/** Client addresses hold no space, so the first space separates the two parts. */
function pairKey(username: string, client: string): string {
  return `${client} ${normalizeUsername(username).slice(0, KEPT_USERNAME_LENGTH)}`;
}
