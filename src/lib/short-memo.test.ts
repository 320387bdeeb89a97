import { describe, expect, it } from 'vitest';
import { ShortMemo } from './short-memo.js';

describe('ShortMemo', () => {
  it('serves one load per key until it expires, forgets on delete and on failure, stays bounded', async () => {
    let t = 0;
    let loads = 0;
    const memo = new ShortMemo<number>(100, 2, () => t);
    const load = async () => ++loads;
    expect(await memo.get('a', load)).toBe(1);
    expect(await memo.get('a', load)).toBe(1);
    t = 150;
    expect(await memo.get('a', load)).toBe(2);
    memo.delete('a');
    expect(await memo.get('a', load)).toBe(3);
    await expect(memo.get('b', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await Promise.resolve();
    expect(await memo.get('b', load)).toBe(4);
    await memo.get('c', load); // a is evicted: three keys, room for two
    expect(await memo.get('a', load)).toBe(6);
  });

  it('drops expired entries as new ones come, so it holds only the last ttl of loads', async () => {
    let t = 0;
    const memo = new ShortMemo<number>(250, 10_000, () => t);
    let loads = 0;
    for (let i = 0; i < 5000; i++) {
      t += 1;
      await memo.get(`page:${i}`, async () => ++loads);
    }
    // Only the pages of the last 250 ms are still held.
    expect(memo.size).toBeLessThanOrEqual(250);
    expect(await memo.get('page:4999', async () => ++loads)).toBe(5000); // still memoised
  });
});
