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
});
