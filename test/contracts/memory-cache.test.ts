import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../../src/adapters/cache/memory-cache.js';
import { deferred, rejectsWithCode } from './support.js';

/** In-process specifics beyond the shared Cache contract. */
describe('MemoryCache', () => {
  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = new MemoryCache({ maxEntries: 3 });
    await cache.set('a', 1, 60_000);
    await cache.set('b', 2, 60_000);
    await cache.set('c', 3, 60_000);
    expect(await cache.get('a')).toBe(1); // a is now the most recent
    await cache.set('d', 4, 60_000);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('c')).toBe(3);
    expect(await cache.get('d')).toBe(4);
    expect(cache.size).toBe(3);
  });

  it('stays within its byte budget, least recently used out first, whatever the keys', async () => {
    const cache = new MemoryCache({ maxBytes: 256 * 1024 });
    const page = { items: Array.from({ length: 10 }, (_, i) => ({ id: `v${i}`, caption: 'x'.repeat(100) })), nextCursor: null };
    await cache.set('keep', page, 60_000);
    for (let i = 0; i < 5000; i++) {
      await cache.set(`feed:forged:${i}`, page, 60_000);
      if (i % 50 === 0) expect(await cache.get('keep')).toEqual(page); // recently used: stays
      expect(cache.bytes).toBeLessThanOrEqual(256 * 1024);
    }
    expect(cache.size).toBeLessThan(5000);
    expect(await cache.get('feed:forged:0')).toBeUndefined();
    expect(await cache.get('feed:forged:4999')).toEqual(page);

    // A value larger than the whole budget is not kept (and pushes nothing out).
    const before = cache.size;
    await cache.set('huge', 'x'.repeat(200 * 1024), 60_000);
    expect(await cache.get('huge')).toBeUndefined();
    expect(cache.size).toBe(before);

    // Deletes and expiries give their bytes back.
    await cache.delete('keep');
    await cache.close();
    expect(cache.bytes).toBe(0);
  });

  it('expires by its clock', async () => {
    let now = 1_000;
    const cache = new MemoryCache({ now: () => now });
    await cache.set('k', 'v', 100);
    await cache.incr('n', 1, 100);
    now += 99;
    expect(await cache.get('k')).toBe('v');
    expect(await cache.incr('n', 1, 100)).toBe(2); // the window is not extended
    now += 1;
    expect(await cache.get('k')).toBeUndefined();
    expect(await cache.get('n')).toBeUndefined();
    await cache.set('forever', true, 0);
    now += 1e12;
    expect(await cache.get('forever')).toBe(true);
  });

  it('does not cache a load that was superseded by a write or delete', async () => {
    const cache = new MemoryCache();
    const gate = deferred();
    const loading = cache.getOrLoad('k', 60_000, async () => {
      await gate.promise;
      return 'stale';
    });
    await cache.set('k', 'fresh', 60_000);
    gate.resolve();
    expect(await loading).toBe('stale');
    expect(await cache.get('k')).toBe('fresh');

    const gate2 = deferred();
    const loading2 = cache.getOrLoad('gone', 60_000, async () => {
      await gate2.promise;
      return 'stale';
    });
    await cache.delete('gone');
    gate2.resolve();
    await loading2;
    expect(await cache.get('gone')).toBeUndefined();
  });

  it('refuses to increment a non-number and does not store undefined', async () => {
    const cache = new MemoryCache();
    await cache.set('s', 'text', 60_000);
    await rejectsWithCode(cache.incr('s'), 'validation_failed');
    await cache.set('u', undefined, 60_000);
    expect(cache.size).toBe(1);
  });

  it('refuses use after close', async () => {
    const cache = new MemoryCache();
    await cache.close();
    await expect(cache.get('k')).rejects.toThrow(/closed/);
  });
});
