import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cache } from '../../src/ports/cache.js';
import { deferred, sleep } from './support.js';

export interface CacheFixture {
  cache: Cache;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every Cache adapter (in-process LRU, Redis) must share.
 * Values are JSON data: what goes in comes back equal, as a copy.
 */
export function cacheContract(name: string, factory: () => Promise<CacheFixture>): void {
  describe(`Cache contract: ${name}`, () => {
    let fixture: CacheFixture;
    let cache: Cache;
    // Keys are unique per test so a shared server (Redis) needs no flushing.
    const key = (label: string): string => `contract:${label}:${randomUUID()}`;

    beforeAll(async () => {
      fixture = await factory();
      cache = fixture.cache;
    });
    afterAll(async () => {
      await fixture?.cleanup();
    });

    it('returns undefined for a missing key', async () => {
      expect(await cache.get(key('missing'))).toBeUndefined();
    });

    it('round-trips JSON values and returns copies', async () => {
      const k = key('json');
      const value = { title: 'olá', tags: ['a', 'b'], n: 3.5, nested: { ok: true, none: null } };
      await cache.set(k, value, 60_000);
      const got = await cache.get<typeof value>(k);
      expect(got).toEqual(value);
      got!.tags.push('mutated');
      expect(await cache.get(k)).toEqual(value);

      const s = key('scalars');
      await cache.set(s, 'text', 60_000);
      expect(await cache.get(s)).toBe('text');
      await cache.set(s, 0, 60_000);
      expect(await cache.get(s)).toBe(0);
      await cache.set(s, null, 60_000);
      expect(await cache.get(s)).toBeNull();
    });

    it('overwrites and deletes', async () => {
      const k = key('overwrite');
      await cache.set(k, 1, 60_000);
      await cache.set(k, 2, 60_000);
      expect(await cache.get(k)).toBe(2);
      await cache.delete(k);
      expect(await cache.get(k)).toBeUndefined();
      await cache.delete(k); // deleting a missing key is fine
    });

    it('deletes many keys at once, and only those', async () => {
      const [a, b, keep] = [key('many-a'), key('many-b'), key('many-keep')];
      for (const k of [a, b, keep]) await cache.set(k, k, 60_000);
      await cache.deleteMany([a, b, key('many-missing')]);
      expect(await cache.get(a)).toBeUndefined();
      expect(await cache.get(b)).toBeUndefined();
      expect(await cache.get(keep)).toBe(keep);
      await cache.deleteMany([]);
      expect(await cache.getOrLoad(a, 60_000, async () => 'reloaded')).toBe('reloaded');
    });

    it('expires entries after their TTL', async () => {
      const k = key('ttl');
      await cache.set(k, 'soon gone', 40);
      await sleep(150);
      expect(await cache.get(k)).toBeUndefined();
      const keep = key('ttl-long');
      await cache.set(keep, 'stays', 60_000);
      expect(await cache.get(keep)).toBe('stays');
    });

    it('incr creates at 0, adds, and counts exactly under concurrency', async () => {
      const k = key('incr');
      expect(await cache.incr(k)).toBe(1);
      expect(await cache.incr(k, 5)).toBe(6);
      expect(await cache.incr(k, -2)).toBe(4);
      expect(await cache.get<number>(k)).toBe(4);

      const c = key('incr-concurrent');
      const results = await Promise.all(Array.from({ length: 100 }, () => cache.incr(c)));
      expect(await cache.get<number>(c)).toBe(100);
      // Every caller saw a distinct value: no two increments overlapped.
      expect(new Set(results).size).toBe(100);
      expect(Math.max(...results)).toBe(100);
    });

    it('incr with a TTL starts a window that expires', async () => {
      const k = key('incr-ttl');
      expect(await cache.incr(k, 1, 40)).toBe(1);
      await sleep(150);
      expect(await cache.get(k)).toBeUndefined();
      expect(await cache.incr(k, 1, 40)).toBe(1);
    });

    it('getOrLoad loads once for concurrent callers (single flight) and caches', async () => {
      const k = key('single-flight');
      const gate = deferred();
      let calls = 0;
      const loader = async (): Promise<{ v: number }> => {
        calls++;
        await gate.promise;
        return { v: 42 };
      };
      const waiters = Array.from({ length: 10 }, () => cache.getOrLoad(k, 60_000, loader));
      await sleep(20);
      gate.resolve();
      const values = await Promise.all(waiters);
      expect(calls).toBe(1);
      for (const v of values) expect(v).toEqual({ v: 42 });

      expect(await cache.getOrLoad(k, 60_000, loader)).toEqual({ v: 42 });
      expect(calls).toBe(1);
      expect(await cache.get(k)).toEqual({ v: 42 });
    });

    it('a failing load rejects every waiter and is not cached', async () => {
      const k = key('failing-load');
      const gate = deferred();
      let calls = 0;
      const failing = async (): Promise<string> => {
        calls++;
        await gate.promise;
        throw new Error('backend down');
      };
      const waiters = Array.from({ length: 5 }, () => cache.getOrLoad(k, 60_000, failing));
      gate.resolve();
      const settled = await Promise.allSettled(waiters);
      expect(calls).toBe(1);
      for (const s of settled) {
        expect(s.status).toBe('rejected');
        expect((s as PromiseRejectedResult).reason).toBeInstanceOf(Error);
        expect(((s as PromiseRejectedResult).reason as Error).message).toBe('backend down');
      }
      expect(await cache.get(k)).toBeUndefined();

      // The next call loads again and succeeds.
      expect(await cache.getOrLoad(k, 60_000, async () => 'recovered')).toBe('recovered');
      expect(await cache.get(k)).toBe('recovered');
    });

    it('getOrLoad respects the TTL of what it loaded', async () => {
      const k = key('load-ttl');
      let calls = 0;
      const loader = async (): Promise<number> => ++calls;
      expect(await cache.getOrLoad(k, 40, loader)).toBe(1);
      await sleep(150);
      expect(await cache.getOrLoad(k, 40, loader)).toBe(2);
    });
  });
}
