import { easeWeights } from '../model/ease-graph.js';
import type { UserItems } from './split-loader.js';

/** Popularity: the number of distinct users with a positive on each item. */
export function popularityScores(positives: UserItems, nItems: number): Float32Array {
  const s = new Float32Array(nItems);
  for (const i of positives.items) s[i]!++;
  return s;
}

/**
 * EASE (Steck 2019) as the offline baseline: dense B (easeWeights in
 * ../model/ease-graph.ts, the fit the EASE-graph candidate uses too).
 * Returns a scorer: a user's scores are x_u·B.
 */
export class EaseModel {
  private constructor(
    readonly nItems: number,
    /** Dense B over the active items only (row-major, active × active). */
    private readonly b: Float32Array,
    /** active index of each item, −1 for items with no positive. */
    private readonly activeOf: Int32Array,
    private readonly active: Int32Array,
  ) {}

  static fit(positives: UserItems, nItems: number, lambda: number): EaseModel {
    const w = easeWeights(positives, nItems, lambda);
    return new EaseModel(nItems, w.b, w.activeOf, w.active);
  }

  /** Scores of every item for a user whose positive items are `history`. */
  score(history: ArrayLike<number>, out = new Float32Array(this.nItems)): Float32Array {
    out.fill(0);
    const n = this.active.length;
    const acc = new Float64Array(n);
    for (let h = 0; h < history.length; h++) {
      const a = this.activeOf[history[h]!]!;
      if (a < 0) continue;
      const row = a * n;
      for (let j = 0; j < n; j++) acc[j]! += this.b[row + j]!;
    }
    for (let j = 0; j < n; j++) out[this.active[j]!] = acc[j]!;
    return out;
  }
}
