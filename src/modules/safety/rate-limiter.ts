import { isIP } from 'node:net';
import type { RateRule } from '../../config/config.js';
import type { Cache } from '../../ports/cache.js';

/**
 * Fixed-window counters on the Cache port's atomic `incr` with a TTL: with
 * Redis every process counts into the same key, in embedded mode the
 * process's LRU holds them. Windows are aligned to the epoch (a window of
 * 60 s runs from :00 to :59), so the key names its window and the answer
 * can say exactly when the next one starts (Retry-After).
 *
 * A fixed window lets a burst of up to 2×limit through around a window's
 * edge; for the abuse these limits are for (sign-up floods, comment spam,
 * password guessing) that is an acceptable price for one round trip per check.
 */
export class RateLimiter {
  constructor(
    private readonly cache: Cache,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request against `key`; null while within the limit, else the seconds until the window ends. */
  async hit(key: string, rule: RateRule): Promise<number | null> {
    const w = this.window(rule);
    const count = await this.cache.incr(`rl:${key}:${w.index}`, 1, w.ttlMs);
    return count > rule.limit ? w.retryAfterSec : null;
  }

  /** Like `hit`, without counting: whether `key` has already used up this window. */
  async exhausted(key: string, rule: RateRule): Promise<number | null> {
    const w = this.window(rule);
    const count = (await this.cache.get<number>(`rl:${key}:${w.index}`)) ?? 0;
    return count >= rule.limit ? w.retryAfterSec : null;
  }

  private window(rule: RateRule): { index: number; ttlMs: number; retryAfterSec: number } {
    const windowMs = rule.windowSec * 1000;
    const now = this.now();
    const index = Math.floor(now / windowMs);
    const leftMs = (index + 1) * windowMs - now;
    // The key outlives its window by a little, never by a whole window.
    return { index, ttlMs: leftMs + 1000, retryAfterSec: Math.max(1, Math.ceil(leftMs / 1000)) };
  }
}

/**
 * The address a per-IP limit counts against: IPv4 as is (IPv4-mapped IPv6
 * unwrapped), IPv6 by its /64 — one subscriber usually holds a whole /64.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...headParts, ...Array<string>(Math.max(0, 8 - headParts.length - tailParts.length)).fill('0'), ...tailParts]
    : headParts;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
