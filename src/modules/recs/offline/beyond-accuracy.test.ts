import { describe, expect, it } from 'vitest';
import { BeyondAccuracyTally, gini } from './beyond-accuracy.js';

describe('gini', () => {
  it('is 0 for equal counts and (n − 1) / n when one holds everything', () => {
    expect(gini([3, 3, 3, 3])).toBe(0);
    expect(gini([0, 0, 0, 8])).toBeCloseTo(3 / 4, 12);
    // Hand-computed: sorted 1, 2, 3 → 2·(1 + 4 + 9) / (3·6) − 4/3 = 28/18 − 24/18 = 2/9.
    expect(gini([3, 1, 2])).toBeCloseTo(2 / 9, 12);
    expect(gini([])).toBe(0);
    expect(gini([0, 0])).toBe(0);
  });
});

describe('BeyondAccuracyTally', () => {
  it('counts coverage, Gini over items and novelty of the lists it saw', () => {
    // 4 items; training popularity 3, 1, 0, 0 of 3 viewers.
    const t = new BeyondAccuracyTally([3, 1, 0, 0], 3);
    t.add([0, 1]);
    t.add([0, 2]);
    const r = t.result();
    expect(r.coverage).toBe(3 / 4);
    expect(r.giniOver).toBe('item');
    expect(r.gini).toBeCloseTo(gini([2, 1, 1, 0]), 12);
    // −log2((pop + 1) / (viewers + 1)) per recommendation: item 0 twice (0 bits), item 1 (1 bit), item 2 (2 bits).
    expect(r.novelty).toBeCloseTo((0 + 0 + 1 + 2) / 4, 12);
  });

  it('measures concentration over creators when items have them', () => {
    const creatorOf = [0, 0, 1, 1];
    const t = new BeyondAccuracyTally([1, 1, 1, 1], 4, (i) => creatorOf[i]!, 2);
    t.add([0, 1]);
    t.add([2, 3]);
    expect(t.result()).toMatchObject({ giniOver: 'creator', gini: 0, coverage: 1 });
  });
});
