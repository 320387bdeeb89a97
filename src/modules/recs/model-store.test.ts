import { describe, expect, it } from 'vitest';
import { trainModel } from './model/index.js';
import { decodeArtifact, encodeArtifact } from './model-store.js';

async function tinyModel() {
  // Three viewers, three videos: 0 and 1 are watched together.
  return trainModel({
    nUsers: 3,
    nItems: 3,
    users: Int32Array.from([0, 0, 1, 1, 2]),
    items: Int32Array.from([0, 1, 0, 1, 2]),
    weights: Float32Array.from([1, 1, 1, 1, 1]),
  });
}

describe('recommender artifact', () => {
  it('round-trips the model with the video ids behind its item indices', async () => {
    const model = await tinyModel();
    const trainedAt = new Date('2026-11-26T00:00:00Z');
    const bytes = encodeArtifact(model, ['va', 'vb', 'vc'], trainedAt);
    const loaded = decodeArtifact(bytes, 7);
    expect(loaded).toMatchObject({ version: 7, itemIds: ['va', 'vb', 'vc'], trainedAt });
    expect(loaded.index.get('vb')).toBe(1);
    const history = [{ item: 0, weight: 1 }];
    expect(Array.from(loaded.model.scoreAll(loaded.model.userVector(history)))).toEqual(
      Array.from(model.scoreAll(model.userVector(history))),
    );
  });

  it('refuses ids that do not match the model, and foreign, truncated or corrupt bytes', async () => {
    const model = await tinyModel();
    expect(() => encodeArtifact(model, ['va'], new Date())).toThrow(/3 items but 1 ids/);
    const good = encodeArtifact(model, ['va', 'vb', 'vc'], new Date());
    expect(() => decodeArtifact(Buffer.from('not a model at all'), 1)).toThrow(/not a Curta recommender artifact/);
    expect(() => decodeArtifact(good.subarray(0, 20), 1)).toThrow(/truncated/);
    expect(() => decodeArtifact(good.subarray(0, good.length - 10), 1)).toThrow();
    const flipped = Buffer.from(good);
    flipped[flipped.length - 5]! ^= 0xff;
    expect(() => decodeArtifact(flipped, 1)).toThrow();
  });
});
