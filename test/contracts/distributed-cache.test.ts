import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../src/adapters/cache/redis-cache.js';
import { redisAvailable, TEST_REDIS_URL, uniqueName } from '../support/services.js';
import { cacheContract } from './cache.contract.js';
import { deferred, rejectsWithCode, sleep, waitFor } from './support.js';

/** Every run works under its own key prefix and removes what it wrote. */
async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

if (await redisAvailable()) {
  cacheContract('RedisCache', async () => {
    const prefix = `${uniqueName('curta_test')}:`;
    const cache = await RedisCache.connect(TEST_REDIS_URL, { keyPrefix: prefix });
    return {
      cache,
      cleanup: async () => {
        await cache.close();
        await dropPrefix(prefix);
      },
    };
  });

  describe('RedisCache across processes', () => {
    const prefix = `${uniqueName('curta_test')}:`;
    // Two caches with separate connections stand in for two processes.
    let a: RedisCache;
    let b: RedisCache;
    let raw: Redis;

    beforeAll(async () => {
      a = await RedisCache.connect(TEST_REDIS_URL, { keyPrefix: prefix, loadLockMs: 2000, loadWaitMs: 2000 });
      b = await RedisCache.connect(TEST_REDIS_URL, { keyPrefix: prefix, loadLockMs: 2000, loadWaitMs: 2000 });
      raw = new Redis(TEST_REDIS_URL);
    });
    /** Resolves once some process holds the load lock of `key`. */
    const lockTaken = (key: string): Promise<boolean> =>
      waitFor(async () => (await raw.exists(`${prefix}${key}\u0000loading`)) === 1, 5000, `load lock of ${key}`);

    afterAll(async () => {
      await a?.close();
      await b?.close();
      raw?.disconnect();
      await dropPrefix(prefix);
    });

    it('stores JSON text under the prefix, with PX TTLs', async () => {
      await a.set('k:json', { n: 1 }, 60_000);
      expect(await raw.get(`${prefix}k:json`)).toBe('{"n":1}');
      const ttl = await raw.pttl(`${prefix}k:json`);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      await a.set('k:forever', 1, 0);
      expect(await raw.pttl(`${prefix}k:forever`)).toBe(-1);
      expect(await b.get('k:json')).toEqual({ n: 1 });
    });

    it('reports the server’s memory limit and eviction policy (for the rate limiter’s start-up check)', async () => {
      const memory = await a.memoryPolicy();
      expect(memory).not.toBeNull();
      expect(memory!.maxmemory).toBeGreaterThanOrEqual(0);
      expect(memory!.policy).toMatch(/^(noeviction|allkeys-|volatile-)/);
    });

    it('incr with a TTL sets it once (PEXPIRE NX) and refuses non-numbers', async () => {
      expect(await a.incr('k:window', 1, 60_000)).toBe(1);
      await raw.pexpire(`${prefix}k:window`, 30_000);
      expect(await b.incr('k:window', 1, 60_000)).toBe(2);
      expect(await raw.pttl(`${prefix}k:window`)).toBeLessThanOrEqual(30_000); // not extended
      expect(await a.incr('k:float', 0.5)).toBe(0.5);
      await a.set('k:text', 'abc', 60_000);
      await rejectsWithCode(a.incr('k:text'), 'validation_failed');
    });

    it('one process loads a cold key while the other waits for its value', async () => {
      const gate = deferred();
      let calls = 0;
      const loader = async (): Promise<string> => {
        calls++;
        await gate.promise;
        return 'loaded';
      };
      const first = a.getOrLoad('k:cold', 60_000, loader);
      await lockTaken('k:cold');
      const second = b.getOrLoad('k:cold', 60_000, loader);
      await sleep(100);
      expect(calls).toBe(1);
      gate.resolve();
      expect(await Promise.all([first, second])).toEqual(['loaded', 'loaded']);
      expect(calls).toBe(1);
      expect(await raw.exists(`${prefix}k:cold\u0000loading`)).toBe(0); // lock released
    });

    it("a load that read the old value before another process's delete does not write it back", async () => {
      const gate = deferred();
      const stale = a.getOrLoad('k:row', 60_000, async () => {
        await gate.promise; // read from the database before the change…
        return 'old row';
      });
      await lockTaken('k:row');
      await b.delete('k:row'); // …while another process commits a change and drops the key
      gate.resolve();
      expect(await stale).toBe('old row'); // its own caller still gets what it read
      expect(await a.get('k:row')).toBeUndefined(); // but nobody else is served it
      expect(await b.getOrLoad('k:row', 60_000, async () => 'new row')).toBe('new row');
    });

    it('when the loading process fails, a waiter loads itself', async () => {
      const gate = deferred();
      const failing = a.getOrLoad('k:fails', 60_000, async () => {
        await gate.promise;
        throw new Error('backend down');
      });
      await lockTaken('k:fails');
      const waiting = b.getOrLoad('k:fails', 60_000, async () => 'from b');
      await sleep(50);
      gate.resolve();
      await expect(failing).rejects.toThrow('backend down');
      expect(await waiting).toBe('from b');
      expect(await a.get('k:fails')).toBe('from b');
    });

    it('a waiter stops waiting for a stuck load after loadWaitMs', async () => {
      const stuck = await RedisCache.connect(TEST_REDIS_URL, { keyPrefix: prefix, loadLockMs: 10_000 });
      const impatient = await RedisCache.connect(TEST_REDIS_URL, { keyPrefix: prefix, loadWaitMs: 200 });
      try {
        const never = deferred<string>();
        void stuck.getOrLoad('k:stuck', 60_000, () => never.promise).catch(() => undefined);
        await lockTaken('k:stuck');
        const started = Date.now();
        expect(await impatient.getOrLoad('k:stuck', 60_000, async () => 'fallback')).toBe('fallback');
        expect(Date.now() - started).toBeGreaterThanOrEqual(150);
        never.resolve('late');
      } finally {
        await stuck.close();
        await impatient.close();
      }
    });

    it('a loaded value does not overwrite one set while loading', async () => {
      const gate = deferred();
      const loading = a.getOrLoad('k:raced', 60_000, async () => {
        await gate.promise;
        return 'stale';
      });
      await lockTaken('k:raced');
      await b.set('k:raced', 'fresh', 60_000);
      gate.resolve();
      expect(await loading).toBe('stale');
      expect(await a.get('k:raced')).toBe('fresh');
    });
  });
} else {
  describe.skip('Cache contract: RedisCache (no Redis server)', () => {
    it('needs Redis', () => undefined);
  });
}
