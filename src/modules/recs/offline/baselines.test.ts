import { describe, expect, it } from 'vitest';
import { EaseModel, popularityScores } from './baselines.js';
import { invertSpdInPlace } from '../model/spd-inverse.js';

// 4 users × 5 items; item 4 has no positive.
const positives = { indptr: Int32Array.from([0, 2, 4, 7, 8]), items: Int32Array.from([0, 1, 0, 2, 1, 2, 3, 0]) };

describe('popularityScores', () => {
  it('counts users with a positive per item', () => {
    expect([...popularityScores(positives, 5)]).toEqual([3, 2, 2, 1, 0]);
  });
});

describe('EaseModel', () => {
  it('scores x_u·B with B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹, zero diagonal', () => {
    const lambda = 0.7;
    const n = 5;
    // Reference: B over all five items (the inactive item has a λ-only row).
    const g = new Float64Array(n * n);
    for (let u = 0; u < 4; u++) {
      const its = positives.items.subarray(positives.indptr[u], positives.indptr[u + 1]);
      for (const i of its) for (const j of its) g[i * n + j]!++;
    }
    for (let i = 0; i < n; i++) g[i * n + i]! += lambda;
    invertSpdInPlace(g, n);
    const b = (i: number, j: number): number => (i === j ? 0 : -g[i * n + j]! / g[j * n + j]!);
    const ease = EaseModel.fit(positives, n, lambda);
    const s = ease.score([0, 3]);
    for (let j = 0; j < n; j++) expect(s[j]).toBeCloseTo(b(0, j) + b(3, j), 5);
    expect(s[4]).toBe(0);
  });

  it('rejects a non-positive lambda', () => {
    expect(() => EaseModel.fit(positives, 5, 0)).toThrow(/lambda/);
  });
});
