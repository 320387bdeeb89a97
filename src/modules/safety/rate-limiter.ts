import { isIP } from 'node:net';
import type { RateRule } from '../../config/config.js';
import type { CounterStore } from '../../ports/counter-store.js';

/** A counted attempt that may be given back (a login that turned out right). */
export interface Reservation {
  /** Seconds until the window ends when the attempt was refused; null when it was counted. */
  retryAfter: number | null;
  /** Gives the attempt back (once; a no-op for a refused one, which was never kept). */
  release(): Promise<void>;
}

/** A fixed window after one counted request. */
export interface WindowState {
  rule: RateRule;
  /** Requests still allowed in this window (0 once used up). */
  remaining: number;
  /** Seconds until the window ends (and its count starts over). */
  resetSec: number;
  /** `resetSec` when this request was over the limit; null when it was allowed. */
  retryAfter: number | null;
}

const NOTHING_TO_RELEASE = async (): Promise<void> => undefined;

/**
 * Fixed-window counters on an atomic `incr` with a TTL, in a store of their
 * own (never the cache: cached pages must not be able to push a counter
 * out): with Redis every process counts into the same key, in embedded mode
 * the process's MemoryCounters hold them. Windows are aligned to the epoch (a window of
 * 60 s runs from :00 to :59), so the key names its window and the answer
 * can say exactly when the next one starts (Retry-After).
 *
 * A fixed window lets a burst of up to 2×limit through around a window's
 * edge; for the abuse these limits are for (sign-up floods, comment spam,
 * password guessing) that is an acceptable price for one round trip per check.
 */
export class RateLimiter {
  constructor(
    private readonly counters: CounterStore,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request against `key`; null while within the limit, else the seconds until the window ends. */
  async hit(key: string, rule: RateRule): Promise<number | null> {
    return (await this.take(key, rule)).retryAfter;
  }

  /** Like `hit`, with what is left of the window (for the RateLimit response headers). */
  async take(key: string, rule: RateRule): Promise<WindowState> {
    const w = this.window(rule);
    const count = await this.counters.incr(`rl:${key}:${w.index}`, 1, w.ttlMs);
    return {
      rule,
      remaining: Math.max(0, rule.limit - count),
      resetSec: w.retryAfterSec,
      retryAfter: count > rule.limit ? w.retryAfterSec : null,
    };
  }

  /** Like `hit`, without counting: whether `key` has already used up this window. */
  async exhausted(key: string, rule: RateRule): Promise<number | null> {
    const w = this.window(rule);
    const count = (await this.counters.get(`rl:${key}:${w.index}`)) ?? 0;
    return count >= rule.limit ? w.retryAfterSec : null;
  }

  /**
   * Takes one of `key`'s attempts before the work it guards, atomically (the
   * increment is the check), so concurrent attempts can never all pass a
   * check made before any of them was counted. Over the limit, the attempt
   * is refused and not kept; within it, the caller keeps it (a failure) or
   * gives it back (`release`, e.g. a correct password).
   */
  async reserve(key: string, rule: RateRule): Promise<Reservation> {
    const w = this.window(rule);
    const counterKey = `rl:${key}:${w.index}`;
    const count = await this.counters.incr(counterKey, 1, w.ttlMs);
    let released = false;
    const release = async (): Promise<void> => {
      if (released) return;
      released = true;
      // Once the window is over its key is gone or going: a decrement would only start a stray one.
      const leftMs = w.endsAt - this.now();
      if (leftMs > 0) await this.counters.incr(counterKey, -1, leftMs + 1000);
    };
    if (count > rule.limit) {
      await release();
      return { retryAfter: w.retryAfterSec, release: NOTHING_TO_RELEASE };
    }
    return { retryAfter: null, release };
  }

  private window(rule: RateRule): { index: number; ttlMs: number; retryAfterSec: number; endsAt: number } {
    const windowMs = rule.windowSec * 1000;
    const now = this.now();
    const index = Math.floor(now / windowMs);
    const endsAt = (index + 1) * windowMs;
    const leftMs = endsAt - now;
    // The key outlives its window by a little, never by a whole window.
    return { index, ttlMs: leftMs + 1000, retryAfterSec: Math.max(1, Math.ceil(leftMs / 1000)), endsAt };
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
