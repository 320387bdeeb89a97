import { describe, expect, it } from 'vitest';
import { parseSplit } from './split-loader.js';
import { labelToWeight, NEGATIVE_LABEL_WEIGHT, POSITIVE_LABEL_WEIGHT, splitToTrainingData } from './training-data.js';

describe('labelToWeight', () => {
  it('maps label 1 to a positive weight and label 0 to a (weak) negative one', () => {
    expect(labelToWeight(1)).toBe(POSITIVE_LABEL_WEIGHT);
    expect(labelToWeight(0)).toBe(NEGATIVE_LABEL_WEIGHT);
    expect(POSITIVE_LABEL_WEIGHT).toBeGreaterThan(0);
    expect(NEGATIVE_LABEL_WEIGHT).toBeLessThan(0);
  });
});

describe('splitToTrainingData', () => {
  it('keeps one triplet per (user, item), positive when any line is positive', () => {
    const d = splitToTrainingData(parseSplit('0 1 0\n0 1 1\n0 1 0\n2 0 0\n2 0 0\n1 3 1\n'), 3, 4);
    const triplets = Array.from(d.users, (u, k) => [u, d.items[k]!, d.weights[k]!]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    expect(triplets).toEqual([
      [0, 1, POSITIVE_LABEL_WEIGHT],
      [1, 3, POSITIVE_LABEL_WEIGHT],
      [2, 0, Math.fround(NEGATIVE_LABEL_WEIGHT)],
    ]);
    expect(d.nUsers).toBe(3);
    expect(d.nItems).toBe(4);
  });

  it('uses a custom label mapping and rejects ids outside the declared sizes', () => {
    const d = splitToTrainingData(parseSplit('0 1 0\n'), 1, 2, () => -0.5);
    expect([...d.weights]).toEqual([-0.5]);
    expect(() => splitToTrainingData(parseSplit('0 5 1\n'), 1, 2)).toThrow(/outside 1 users × 2 items/);
  });
});
