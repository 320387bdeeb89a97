import { describe, expect, it } from 'vitest';
import { seededRng } from '../../lib/seeded-rng.js';
import { fuse } from './ranking.js';
import { blendWeights, DEFAULT_BLEND, servedRanking } from './served-ranking.js';

describe('servedRanking', () => {
  it('is reciprocal-rank fusion with the blend weights, as ranking.fuse, ties to the lower id', () => {
    const rnd = seededRng(7);
    for (let trial = 0; trial < 50; trial++) {
      const pick = (n: number): string[] => [...new Set(Array.from({ length: n }, () => `v${Math.floor(rnd() * 40)}`))];
      const sources = { personal: pick(25), trending: pick(25), fresh: pick(10), rising: pick(5), following: pick(8) };
      const adjust = (id: string): number => (id.endsWith('3') ? 0.01 : 0);
      const expected = fuse(
        (['personal', 'trending', 'fresh', 'rising', 'following'] as const).map((name) => ({
          name,
          ids: sources[name],
          weight: DEFAULT_BLEND[name],
        })),
        adjust,
      );
      expect(servedRanking(sources, DEFAULT_BLEND, adjust)).toEqual(expected);
      // With a limit: the same first items, selected rather than sorted whole.
      expect(servedRanking(sources, DEFAULT_BLEND, adjust, 7)).toEqual(expected.slice(0, 7));
    }
  });

  it('leaves out a source with weight 0: popularity only is the trending list itself', () => {
    const sources = { personal: ['a', 'b'], trending: ['c', 'a', 'd'] };
    expect(servedRanking(sources, blendWeights({ personal: 0, trending: 1 }))).toEqual(['c', 'a', 'd']);
    expect(servedRanking(sources, blendWeights({ personal: 1, trending: 0 }))).toEqual(['a', 'b']);
    // Both: "a" is in both lists and rises to the top.
    expect(servedRanking(sources, blendWeights({ personal: 1, trending: 1 }))[0]).toBe('a');
  });

  it('works over item indices (offline) as over video ids, the lower index winning ties', () => {
    expect(servedRanking<number>({ personal: [5, 2], trending: [2, 5] }, blendWeights({ personal: 1, trending: 1 }))).toEqual([2, 5]);
  });

  it('serves the default blend for a model without a recorded choice', () => {
    expect(blendWeights(null)).toEqual(DEFAULT_BLEND);
    expect(blendWeights({ personal: 0, trending: 1 })).toEqual({ ...DEFAULT_BLEND, personal: 0, trending: 1 });
  });
});
