import { describe, expect, it } from 'vitest';
import type { TrainingData } from '../model/index.js';
import { timeSplit } from './holdout.js';

const data = (rows: Array<[number, number, number]>, nUsers: number, nItems: number): TrainingData => ({
  nUsers,
  nItems,
  users: Int32Array.from(rows.map((r) => r[0])),
  items: Int32Array.from(rows.map((r) => r[1])),
  weights: Float32Array.from(rows.map((r) => r[2])),
});

describe('timeSplit', () => {
  it("holds out the most recent ⌈20 %⌉ of each viewer's pairs; only held-out positives are relevant", () => {
    // Viewer 0: 6 pairs (2 held out: the two newest, items 5 and 4); viewer 1: 5 pairs (1 held out, a negative);
    // viewer 2: 3 pairs (< minPairs 5: all kept).
    const d = data(
      [
        [0, 0, 1],
        [0, 1, 1],
        [0, 4, 1],
        [0, 2, -1],
        [0, 3, 1],
        [0, 5, 2],
        [1, 0, 1],
        [1, 1, 1],
        [1, 2, 1],
        [1, 3, 1],
        [1, 4, -1],
        [2, 0, 1],
        [2, 1, 1],
        [2, 2, 1],
      ],
      3,
      6,
    );
    const at = [10, 20, 90, 30, 40, 95, 1, 2, 3, 4, 5, 1, 2, 3];
    const h = timeSplit(d, at, { fraction: 0.2, minPairs: 5 });
    const rel = (u: number) => [...h.relevant.items.subarray(h.relevant.indptr[u], h.relevant.indptr[u + 1])];
    expect(rel(0)).toEqual([4, 5]);
    expect(rel(1)).toEqual([]); // its newest pair was a negative
    expect(rel(2)).toEqual([]);
    const fit = Array.from(h.fit.users, (u, k) => `${u}:${h.fit.items[k]}`);
    expect(fit).toEqual(['0:0', '0:1', '0:2', '0:3', '1:0', '1:1', '1:2', '1:3', '2:0', '2:1', '2:2']);
    expect(h.fit.nUsers).toBe(3);
    expect(h.fit.nItems).toBe(6);
  });

  it('breaks time ties by input order and always leaves some history', () => {
    const d = data(
      [
        [0, 0, 1],
        [0, 1, 1],
      ],
      1,
      2,
    );
    const h = timeSplit(d, [5, 5], { fraction: 0.9, minPairs: 2 });
    expect([...h.relevant.items]).toEqual([1]);
    expect([...h.fit.items]).toEqual([0]);
  });

  it('rejects a bad fraction or mismatched times', () => {
    const d = data([[0, 0, 1]], 1, 1);
    expect(() => timeSplit(d, [1, 2])).toThrow(/2 times for 1 pairs/);
    expect(() => timeSplit(d, [1], { fraction: 1, minPairs: 5 })).toThrow(/fraction/);
  });
});
