import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { MemoryCache } from './cache/memory-cache.js';
import { MemoryCounters } from './cache/memory-counters.js';
import { checkCounterEviction, createRateCounters } from './factory.js';

describe('rate-limit counters', () => {
  it('embedded: a bounded store of their own, never the cache', async () => {
    const config = loadConfig({ RATE_LIMIT_MAX_KEYS: '5000', CACHE_MAX_BYTES: String(2 * 1024 ** 2) });
    expect(config.cache).toEqual({ kind: 'memory', maxBytes: 2 * 1024 ** 2 });
    const counters = await createRateCounters(config, new MemoryCache());
    expect(counters.store).toBeInstanceOf(MemoryCounters);
  });

  it('with Redis: in the cache’s Redis, or in one of their own', () => {
    const shared = loadConfig({ REDIS_URL: 'redis://cache:6379' });
    expect(shared.rateLimitStore).toEqual({ kind: 'cache' });
    const own = loadConfig({ REDIS_URL: 'redis://cache:6379', RATE_LIMIT_REDIS_URL: 'redis://limits:6379' });
    expect(own.rateLimitStore).toEqual({ kind: 'redis', url: 'redis://limits:6379' });
  });

  it('warns when their Redis may evict them, and only then', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_: object, msg: string) => void warnings.push(msg), error: () => undefined };
    const policy = (maxmemory: number, p: string) => ({ memoryPolicy: async () => ({ maxmemory, policy: p }) });
    expect(await checkCounterEviction(policy(0, 'allkeys-lru'), false, logger)).toBe(false); // no limit: nothing is evicted
    expect(await checkCounterEviction(policy(1 << 30, 'noeviction'), true, logger)).toBe(false);
    expect(warnings).toEqual([]);
    expect(await checkCounterEviction(policy(1 << 30, 'allkeys-lru'), false, logger)).toBe(true);
    expect(warnings.pop()).toMatch(/allkeys-lru.*RATE_LIMIT_REDIS_URL/);
    expect(await checkCounterEviction(policy(1 << 30, 'volatile-lru'), true, logger)).toBe(true); // counters have TTLs
    expect(warnings.pop()).toMatch(/volatile-lru.*noeviction/);
    expect(await checkCounterEviction({ memoryPolicy: async () => null }, true, logger)).toBe(true);
  });
});
