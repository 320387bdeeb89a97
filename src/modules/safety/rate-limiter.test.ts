import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../adapters/cache/memory-cache.js';
import { parseRateRule } from '../../config/config.js';
import { clientKey, RateLimiter } from './rate-limiter.js';

describe('RateLimiter (fixed windows on the cache)', () => {
  it('lets `limit` requests through per window and says when the window ends', async () => {
    let now = Date.UTC(2026, 0, 1, 12, 0, 10); // 10 s into a minute
    const cache = new MemoryCache({ now: () => now });
    const limiter = new RateLimiter(cache, () => now);
    const rule = { limit: 3, windowSec: 60 };
    for (let i = 0; i < 3; i++) expect(await limiter.hit('k', rule)).toBeNull();
    expect(await limiter.hit('k', rule)).toBe(50);
    expect(await limiter.exhausted('k', rule)).toBe(50);
    expect(await limiter.hit('other', rule)).toBeNull(); // keys count apart
    now += 49_500;
    expect(await limiter.hit('k', rule)).toBe(1); // never 0: Retry-After is at least 1
    now += 600; // the next window
    expect(await limiter.exhausted('k', rule)).toBeNull();
    expect(await limiter.hit('k', rule)).toBeNull();
  });

  it('keeps counting refused requests, so hammering does not reopen the window early', async () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(new MemoryCache({ now: () => now }), () => now);
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
