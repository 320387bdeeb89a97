import { describe, expect, it } from 'vitest';
import { evaluateRanking, ndcgAtK, recallAtK, topK } from './metrics.js';

describe('topK', () => {
  it('returns the best indices first, skipping masked ones, ties by lower index', () => {
    const scores = [0.1, 0.9, 0.5, 0.9, -1, 0.7];
    expect([...topK(scores, 3)]).toEqual([1, 3, 5]);
    expect([...topK(scores, 3, new Set([1]))]).toEqual([3, 5, 2]);
    expect([...topK(scores, 10, [1, 3])]).toEqual([5, 2, 0, 4]);
  });

  it('never picks NaN or -Infinity', () => {
    expect([...topK([NaN, -Infinity, 2, NaN], 3)]).toEqual([2]);
  });
});

describe('recall and NDCG at k', () => {
  it('match hand-computed values', () => {
    const relevant = new Set([2, 7, 9]);
    // hits at ranks 1 and 3 (positions 0 and 2)
    const ranked = [7, 4, 9, 1];
    expect(recallAtK(ranked, relevant, 4)).toBeCloseTo(2 / 3, 12);
    const dcg = 1 / Math.log2(2) + 1 / Math.log2(4);
    const idcg = 1 / Math.log2(2) + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAtK(ranked, relevant, 4)).toBeCloseTo(dcg / idcg, 12);
    // k = 2 caps both the hits and the ideal at 2 items
    expect(recallAtK(ranked, relevant, 2)).toBeCloseTo(1 / 3, 12);
    expect(ndcgAtK(ranked, relevant, 2)).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 12);
  });

  it('caps the ideal at the number of relevant items', () => {
    expect(ndcgAtK([5, 1, 2], new Set([5]), 3)).toBe(1);
    expect(ndcgAtK([1, 5, 2], new Set([5]), 3)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgAtK([1, 2], new Set([5]), 2)).toBe(0);
  });
});

describe('evaluateRanking', () => {
  it('averages over users with a relevant item and masks their training items', () => {
    // 3 users, 4 items; user 1 has nothing relevant and is not evaluated.
    const relevant = { indptr: Int32Array.from([0, 1, 1, 3]), items: Int32Array.from([0, 1, 2]) };
    const masked = { indptr: Int32Array.from([0, 0, 0, 1]), items: Int32Array.from([3]) };
    const scores = [0.4, 0.3, 0.2, 0.9]; // item 3 is best but masked for user 2
    const r = evaluateRanking(() => scores, relevant, masked, 1);
    expect(r.users).toBe(2);
    // user 0: top-1 = item 3 (not masked) → miss. user 2: top-1 = item 0 → miss.
    expect(r.recall).toBe(0);
    const r2 = evaluateRanking(() => scores, relevant, masked, 2);
    // user 0: [3, 0] → hit at rank 2: recall 1, ndcg 1/log2(3). user 2: [0, 1] → hit 1 of 2 at rank 2.
    expect(r2.recall).toBeCloseTo((1 + 0.5) / 2, 12);
    expect(r2.ndcg).toBeCloseTo((1 / Math.log2(3) + 1 / Math.log2(3) / (1 + 1 / Math.log2(3))) / 2, 12);
  });
});
