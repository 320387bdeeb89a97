import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { itemsByUser, isPositiveLabel, loadDataset, parseSplit } from './split-loader.js';

describe('parseSplit', () => {
  it('reads "user item label" lines, skipping blank ones', () => {
    const s = parseSplit('0 3 1.00\n\n2\t1 0.00\r\n1 3 1\n');
    expect([...s.users]).toEqual([0, 2, 1]);
    expect([...s.items]).toEqual([3, 1, 3]);
    expect([...s.labels]).toEqual([1, 0, 1]);
  });

  it.each([
    ['0 3', /x\.txt:2: expected "user item label"/],
    ['0 3 1 7', /x\.txt:2: expected "user item label"/],
    ['-1 3 1', /x\.txt:2: user id must be a non-negative integer/],
    ['0 3.5 1', /x\.txt:2: item id must be a non-negative integer/],
    ['0 3 yes', /x\.txt:2: label must be a number/],
    ['0 3 NaN', /x\.txt:2: label must be a number/],
    ['0 99999999999 1', /x\.txt:2: item id/],
  ])('rejects %j naming the line', (bad, message) => {
    expect(() => parseSplit(`1 1 1.00\n${bad}\n`, 'x.txt')).toThrow(message);
  });
});

describe('loadDataset', () => {
  it('loads the three splits and sizes the id spaces from all of them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'curta-split-'));
    try {
      await writeFile(join(dir, 'train.txt'), '0 0 1.00\n1 2 0.00\n');
      await writeFile(join(dir, 'valid.txt'), '1 1 1.00\n');
      await writeFile(join(dir, 'test.txt'), '4 3 1.00\n');
      const ds = await loadDataset(dir);
      expect(ds.nUsers).toBe(5);
      expect(ds.nItems).toBe(4);
      expect(ds.train.users.length).toBe(2);
      await writeFile(join(dir, 'test.txt'), '4 3\n');
      await expect(loadDataset(dir)).rejects.toThrow(/test\.txt:1: expected "user item label"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('itemsByUser', () => {
  it('lists distinct items per user, optionally positives only', () => {
    const s = parseSplit('0 2 1\n0 2 1\n0 1 0\n2 0 1\n');
    const all = itemsByUser(s, 3);
    expect([...all.indptr]).toEqual([0, 2, 2, 3]);
    expect([...all.items]).toEqual([1, 2, 0]);
    const pos = itemsByUser(s, 3, isPositiveLabel);
    expect([...pos.indptr]).toEqual([0, 1, 1, 2]);
    expect([...pos.items]).toEqual([2, 0]);
  });
});
