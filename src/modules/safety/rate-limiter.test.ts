import { describe, expect, it } from 'vitest';
import { MemoryCounters } from '../../adapters/cache/memory-counters.js';
import { parseRateRule } from '../../config/config.js';
import { clientKey, RateLimiter } from './rate-limiter.js';

describe('RateLimiter (fixed windows on a counter store)', () => {
  it('lets `limit` requests through per window and says when the window ends', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 10); // 10 s into a minute
    const limiter = new RateLimiter(new MemoryCounters({ now: () => now }), () => now);
    const rule = { limit: 3, windowSec: 60 };
    for (let i = 0; i < 3; i++) expect(await limiter.hit('k', rule)).toBeNull();
    expect(await limiter.hit('k', rule)).toBe(50);
    expect(await limiter.hit('other', rule)).toBeNull(); // keys count apart
    now += 49_500;
    expect(await limiter.hit('k', rule)).toBe(1); // never 0: Retry-After is at least 1
    now += 600; // the next window
    expect(await limiter.hit('k', rule)).toBeNull();
  });

  it('reserves attempts atomically: concurrent ones past the limit are refused, and what is given back is free again', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 0);
    const counters = new MemoryCounters({ now: () => now });
    const limiter = new RateLimiter(counters, () => now);
    const rule = { limit: 10, windowSec: 900 };
    const all = await Promise.all(Array.from({ length: 40 }, () => limiter.reserve('login:name:x', rule)));
    expect(all.filter((r) => r.retryAfter === null)).toHaveLength(10);
    expect(all.filter((r) => r.retryAfter === 900)).toHaveLength(30);
    expect(await counters.get('rl:login:name:x:' + Math.floor(now / 900_000))).toBe(10); // refused ones were not kept

    await all[0]!.release();
    await all[0]!.release(); // once only
    const again = await limiter.reserve('login:name:x', rule);
    expect(again.retryAfter).toBeNull();
    expect((await limiter.reserve('login:name:x', rule)).retryAfter).not.toBeNull();

    // Given back after its window ended: nothing happens to the next window.
    now += 900_000;
    await again.release();
    for (let i = 0; i < 10; i++) expect((await limiter.reserve('login:name:x', rule)).retryAfter).toBeNull();
    expect((await limiter.reserve('login:name:x', rule)).retryAfter).not.toBeNull();
  });

  it('keeps counting refused requests, so hammering does not reopen the window early', async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(new MemoryCounters({ now: () => now }), () => now);
    const rule = { limit: 1, windowSec: 3600 };
    expect(await limiter.hit('k', rule)).toBeNull();
    for (let i = 0; i < 5; i++) expect(await limiter.hit('k', rule)).not.toBeNull();
    now += 10_000;
    expect(await limiter.hit('k', rule)).not.toBeNull();
  });

  it('counts IPv4 addresses as they are and IPv6 ones by their /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });

  it('parses rules as <count>/<window> or off', () => {
    expect(parseRateRule('30/1m')).toEqual({ limit: 30, windowSec: 60 });
    expect(parseRateRule(' 10/1H ')).toEqual({ limit: 10, windowSec: 3600 });
    expect(parseRateRule('5/2d')).toEqual({ limit: 5, windowSec: 172_800 });
    expect(parseRateRule('off')).toBeNull();
    for (const bad of ['30', '30/m', '0/1m', '1/0s', '1/8d', 'ten/1m', '30 per minute']) expect(() => parseRateRule(bad), bad).toThrow();
  });
});
