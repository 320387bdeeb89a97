/**
 * Simulated interaction logs of "another service" for the recommender's
 * tests: the self-tuning tests (holdout by time) and the generalization test
 * (a `user item label` dataset split at random, like the shared KuaiRand one).
 */
import { seededRng } from '../../src/lib/seeded-rng.js';
import type { TrainingData } from '../../src/modules/recs/model/index.js';

export interface CatalogOptions {
  nUsers: number;
  nItems: number;
  clusters: number;
  /** Share of a viewer's impressions drawn from their own taste cluster (0: everyone is shown the same popular items). */
  tasteShare: number;
  /** Engagement probability in and out of the viewer's cluster. */
  engage: [number, number];
  events: [number, number];
  seed: number;
}

/**
 * "Another service's dataset", simulated: Zipf-like item popularity, viewers
 * with one taste cluster, impressions and engagement driven by taste as much
 * as `tasteShare` and `engage` say. Times are each viewer's event order.
 */
export function simulatedCatalog(o: CatalogOptions): { data: TrainingData; at: Float64Array } {
  const rnd = seededRng(o.seed);
  const pop = Float64Array.from({ length: o.nItems }, () => 0);
  const perm = Array.from({ length: o.nItems }, (_, i) => i).sort(() => rnd() - 0.5);
  perm.forEach((item, rank) => (pop[item] = 1 / Math.pow(rank + 1, 0.9)));
  const cumulative = (items: number[]): { items: number[]; cum: Float64Array } => {
    const cum = new Float64Array(items.length);
    let s = 0;
    items.forEach((i, k) => (cum[k] = s += pop[i]!));
    return { items, cum };
  };
  const draw = (t: { items: number[]; cum: Float64Array }): number => {
    const x = rnd() * t.cum[t.cum.length - 1]!;
    let lo = 0;
    let hi = t.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (t.cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return t.items[lo]!;
  };
  const all = cumulative(Array.from({ length: o.nItems }, (_, i) => i));
  const byCluster = Array.from({ length: o.clusters }, (_, c) => cumulative(all.items.filter((i) => i % o.clusters === c)));
  const pairs = new Map<number, { w: number; at: number }>();
  for (let u = 0; u < o.nUsers; u++) {
    const taste = Math.floor(rnd() * o.clusters);
    const n = o.events[0] + Math.floor(rnd() * (o.events[1] - o.events[0] + 1));
    for (let e = 0; e < n; e++) {
      const item = rnd() < o.tasteShare ? draw(byCluster[taste]!) : draw(all);
      const w = rnd() < o.engage[item % o.clusters === taste ? 0 : 1] ? 1 : -1;
      const key = u * o.nItems + item;
      const prev = pairs.get(key);
      pairs.set(key, { w: Math.max(prev?.w ?? -1, w), at: e });
    }
  }
  const keys = [...pairs.keys()];
  return {
    data: {
      nUsers: o.nUsers,
      nItems: o.nItems,
      users: Int32Array.from(keys, (k) => Math.floor(k / o.nItems)),
      items: Int32Array.from(keys, (k) => k % o.nItems),
      weights: Float32Array.from(keys, (k) => pairs.get(k)!.w),
    },
    at: Float64Array.from(keys, (k) => pairs.get(k)!.at),
  };
}

/** Four kinds of service the tests simulate. */
export const SIMULATED_SERVICES: Record<string, CatalogOptions> = {
  // Tastes drive what is watched and liked: the model should win.
  'taste-driven': { nUsers: 1200, nItems: 400, clusters: 8, tasteShare: 0.8, engage: [0.6, 0.1], events: [15, 40], seed: 1 },
  // Everyone watches and likes the same popular items: no personal signal, popularity must be chosen.
  'popularity-dominated': { nUsers: 1200, nItems: 400, clusters: 8, tasteShare: 0, engage: [0.35, 0.35], events: [15, 40], seed: 2 },
  // Few events per viewer over a larger catalog.
  sparse: { nUsers: 2500, nItems: 1500, clusters: 20, tasteShare: 0.5, engage: [0.5, 0.15], events: [5, 9], seed: 3 },
  // Weak tastes under a strong popularity pull.
  'popularity-heavy': { nUsers: 1500, nItems: 600, clusters: 10, tasteShare: 0.25, engage: [0.4, 0.3], events: [8, 25], seed: 4 },
};
