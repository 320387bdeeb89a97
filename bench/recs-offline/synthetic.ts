import { seededRng } from '../../src/lib/seeded-rng.js';
import type { TrainingData } from '../../src/modules/recs/model/index.js';

export interface SyntheticOptions {
  nUsers: number;
  nItems: number;
  /** Raw events before aggregation per (user, item). */
  events: number;
  /** Taste clusters (items and users each belong to one). */
  clusters?: number;
  seed?: number;
  /** Share of impressions drawn from the viewer's own cluster (the rest: by global popularity). Default 0.7. */
  ownClusterShare?: number;
  /** Probability that an impression is engaged with, in and out of the viewer's cluster. Default [0.6, 0.15]. */
  engagement?: [number, number];
}

/**
 * Synthetic feedback with realistic skew: user activity and item popularity
 * are Zipf-like, a viewer mostly watches items of their own taste cluster,
 * and an event is positive (weight 1–3) with a probability that is higher in
 * the viewer's cluster, otherwise a skip (−1). Events are aggregated per
 * (user, item) by summing and clamping to [−1, 3], as a production caller would.
 */
export function syntheticTrainingData(o: SyntheticOptions): TrainingData {
  const rnd = seededRng(o.seed ?? 1);
  const clusters = o.clusters ?? 50;
  const { nUsers, nItems } = o;
  // Zipf-like samplers through cumulative tables.
  const cumulative = (n: number, s: number): Float64Array => {
    const c = new Float64Array(n);
    let t = 0;
    for (let i = 0; i < n; i++) c[i] = t += 1 / Math.pow(i + 1, s);
    for (let i = 0; i < n; i++) c[i]! /= t;
    return c;
  };
  const pick = (c: Float64Array): number => {
    const r = rnd();
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const userCum = cumulative(nUsers, 0.9);
  const perCluster = Math.ceil(nItems / clusters);
  const itemCum = cumulative(perCluster, 0.8);
  const globalCum = cumulative(nItems, 0.8);
  const userCluster = Int32Array.from({ length: nUsers }, () => Math.floor(rnd() * clusters));
  const agg = new Map<number, number>();
  for (let e = 0; e < o.events; e++) {
    const u = pick(userCum);
    let item: number;
    const own = rnd() < (o.ownClusterShare ?? 0.7);
    if (own) {
      item = userCluster[u]! * perCluster + pick(itemCum);
      if (item >= nItems) item = pick(globalCum);
    } else {
      item = pick(globalCum);
    }
    const inCluster = Math.floor(item / perCluster) === userCluster[u];
    const [pIn, pOut] = o.engagement ?? [0.6, 0.15];
    const w = rnd() < (inCluster ? pIn : pOut) ? 1 + Math.floor(rnd() * 3) : -1;
    const key = u * nItems + item;
    agg.set(key, Math.max(-1, Math.min(3, (agg.get(key) ?? 0) + w)));
  }
  const users = new Int32Array(agg.size);
  const items = new Int32Array(agg.size);
  const weights = new Float32Array(agg.size);
  let k = 0;
  for (const [key, w] of agg) {
    if (w === 0) continue;
    users[k] = Math.floor(key / nItems);
    items[k] = key % nItems;
    weights[k] = w;
    k++;
  }
  return { nUsers, nItems, users: users.slice(0, k), items: items.slice(0, k), weights: weights.slice(0, k) };
}
