import { describe, expect, it } from 'vitest';
import { trainModel } from '../../src/modules/recs/model/index.js';
import { syntheticTrainingData } from './synthetic.js';
import { skipPushdownRate } from './skip-effect.js';

describe('skipPushdownRate', () => {
  const data = syntheticTrainingData({ nUsers: 400, nItems: 200, events: 20_000, clusters: 5, seed: 3 });

  it('is (nearly) 1 with the default push and 0 with no push', async () => {
    const withPush = skipPushdownRate(await trainModel(data), 5);
    expect(withPush.items).toBeGreaterThan(100);
    expect(withPush.rate).toBeGreaterThan(0.95);
    const noPush = skipPushdownRate(await trainModel(data, { negativePreference: 0 }), 5);
    expect(noPush.rate).toBe(0);
  });
});
