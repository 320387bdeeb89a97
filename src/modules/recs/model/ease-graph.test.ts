import { describe, expect, it } from 'vitest';
import { seededRng } from '../../../lib/seeded-rng.js';
import { EaseModel } from '../offline/baselines.js';
import { topK } from '../offline/metrics.js';
import { easeGraph, easeWeights, positivesByUser, trainEaseModel } from './ease-graph.js';
import { RecModel } from './rec-model.js';
import type { TrainingData } from './train.js';

/** 60 viewers × 14 items (the last one never liked), two tastes, some negatives. */
function smallHistory(seed = 7): TrainingData {
  const rnd = seededRng(seed);
  const users: number[] = [];
  const items: number[] = [];
  const weights: number[] = [];
  for (let u = 0; u < 60; u++) {
    const taste = u % 2;
    for (let i = 0; i < 13; i++) {
      const x = rnd();
      if (x < 0.45) {
        users.push(u);
        items.push(i);
        weights.push(i % 2 === taste ? 1 + Math.floor(rnd() * 3) : rnd() < 0.3 ? 1 : -1);
      }
    }
  }
  return { nUsers: 60, nItems: 14, users: Int32Array.from(users), items: Int32Array.from(items), weights: Float32Array.from(weights) };
}

function historyOf(d: TrainingData, u: number): Array<{ item: number; weight: number }> {
  const h: Array<{ item: number; weight: number }> = [];
  for (let k = 0; k < d.users.length; k++) if (d.users[k] === u) h.push({ item: d.items[k]!, weight: d.weights[k]! });
  return h;
}

describe('EASE graph', () => {
  it('unpruned, ranks every viewer exactly as dense EASE (x_u·B, positives binary, negatives ignored)', async () => {
    const d = smallHistory();
    const lambda = 5;
    const model = await trainEaseModel(d, { lambda, neighbours: 400 });
    const positives = positivesByUser(d);
    const dense = EaseModel.fit(positives, d.nItems, lambda);
    expect(model.exposure.indices.length).toBe(0);
    expect(model.foldIn).toMatchObject({ positivePower: 0, negativeExposure: 0, negativePreference: 0 });
    for (let u = 0; u < d.nUsers; u++) {
      const h = historyOf(d, u);
      const seen = new Set(h.map((e) => e.item));
      const ref = dense.score(positives.items.subarray(positives.indptr[u], positives.indptr[u + 1]));
      const ours = model.scoreAll(model.userVector(h));
      const nPos = positives.indptr[u + 1]! - positives.indptr[u]!;
      // userVector divides by the history's mass (1 + 1 per positive); the prior is a 1e-5 tie-breaker.
      for (let j = 0; j < d.nItems; j++) expect(ours[j]! * 2 * nPos).toBeCloseTo(ref[j]!, 3);
      // A viewer with no positive is ranked by the prior (EASE gives them all zeros).
      if (nPos > 0) expect([...topK(ours, 5, seen)]).toEqual([...topK(ref, 5, seen)]);
    }
  });

  it('pruned, keeps the largest |B_ij| of each row and the top of the ranking on this example', async () => {
    const d = smallHistory(11);
    const w = easeWeights(positivesByUser(d), d.nItems, 5);
    const g = easeGraph(w, 6);
    const n = w.active.length;
    expect(n).toBe(13);
    for (let a = 0; a < n; a++) {
      const item = w.active[a]!;
      const kept = g.indices.subarray(g.indptr[item], g.indptr[item + 1]);
      expect(kept.length).toBe(6);
      const row = Array.from({ length: n }, (_, c) => (c === a ? -1 : Math.abs(w.b[a * n + c]!)));
      const floor = [...row].sort((x, y) => y - x)[5]!;
      for (const j of kept) expect(Math.abs(w.b[a * n + w.activeOf[j]!]!)).toBeGreaterThanOrEqual(floor);
    }
    // The item nobody liked has no row.
    expect(g.indptr[14]! - g.indptr[13]!).toBe(0);
    const full = await trainEaseModel(d, { lambda: 5, neighbours: 400 });
    const pruned = await trainEaseModel(d, { lambda: 5, neighbours: 8 });
    let same = 0;
    for (let u = 0; u < d.nUsers; u++) {
      const h = historyOf(d, u);
      const seen = new Set(h.map((e) => e.item));
      const a = topK(full.scoreAll(full.userVector(h)), 1, seen)[0];
      const b = topK(pruned.scoreAll(pruned.userVector(h)), 1, seen)[0];
      if (a === b) same++;
    }
    expect(same / d.nUsers).toBeGreaterThanOrEqual(0.9);
  });

  it('survives serialize/deserialize unchanged (an ordinary RecModel artifact)', async () => {
    const model = await trainEaseModel(smallHistory(), { lambda: 10, neighbours: 5 });
    const back = RecModel.deserialize(model.serialize());
    expect(back.foldIn).toEqual(model.foldIn);
    expect([...back.preference.indices]).toEqual([...model.preference.indices]);
    expect([...back.preference.values]).toEqual([...model.preference.values]);
    expect([...back.itemPrior]).toEqual([...model.itemPrior]);
    const h = [
      { item: 0, weight: 2 },
      { item: 3, weight: -1 },
    ];
    expect([...back.scoreAll(back.userVector(h))]).toEqual([...model.scoreAll(model.userVector(h))]);
  });

  it('rejects a non-positive λ and a neighbour count below 1', () => {
    const p = positivesByUser(smallHistory());
    expect(() => easeWeights(p, 14, 0)).toThrow(/lambda/);
    expect(() => easeGraph(easeWeights(p, 14, 1), 0)).toThrow(/neighbours/);
  });
});
