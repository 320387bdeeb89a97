/**
 * Beyond accuracy: what a ranking does to the catalog, so an NDCG gain is
 * not bought by collapsing onto a few items or creators.
 *
 * - coverage: share of the catalog's items recommended to at least one viewer (top-k lists);
 * - Gini of recommendation counts over creators (or over items when the data
 *   has no creators, as the `user item label` datasets): 0 = every creator
 *   recommended equally often, → 1 = all to one;
 * - novelty: mean self-information −log2(p) of recommended items, p = share
 *   of viewers with a positive on the item in training (higher = less obvious).
 */
export interface BeyondAccuracy {
  coverage: number;
  gini: number;
  /** "creator" or "item": what the Gini is over. */
  giniOver: 'creator' | 'item';
  novelty: number;
}

export class BeyondAccuracyTally {
  private readonly counts: Float64Array;
  private readonly groupCounts: Float64Array;
  private info = 0;
  private recs = 0;

  /**
   * `popularity[i]`: viewers with a positive on item i in training, out of `nViewers`.
   * `groupOf`/`nGroups`: each item's creator index, when known.
   */
  constructor(
    private readonly popularity: ArrayLike<number>,
    private readonly nViewers: number,
    private readonly groupOf?: (item: number) => number,
    nGroups = 0,
  ) {
    this.counts = new Float64Array(popularity.length);
    this.groupCounts = new Float64Array(groupOf ? nGroups : 0);
  }

  add(list: ArrayLike<number>): void {
    for (let r = 0; r < list.length; r++) {
      const i = list[r]!;
      this.counts[i]!++;
      if (this.groupOf) this.groupCounts[this.groupOf(i)]!++;
      // Add-one smoothing: an item nobody engaged with in training is maximally novel, not infinitely.
      const p = (this.popularity[i]! + 1) / (this.nViewers + 1);
      this.info += -Math.log2(p);
      this.recs++;
    }
  }

  result(): BeyondAccuracy {
    let covered = 0;
    for (const c of this.counts) if (c > 0) covered++;
    const byGroup = this.groupOf !== undefined;
    return {
      coverage: this.counts.length ? covered / this.counts.length : 0,
      gini: gini(byGroup ? this.groupCounts : this.counts),
      giniOver: byGroup ? 'creator' : 'item',
      novelty: this.recs ? this.info / this.recs : 0,
    };
  }
}

/** Gini coefficient of non-negative values (0: all equal; (n−1)/n: all in one). */
export function gini(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  const v = Float64Array.from(values).sort();
  let total = 0;
  let weighted = 0;
  for (let i = 0; i < n; i++) {
    total += v[i]!;
    weighted += (i + 1) * v[i]!;
  }
  if (total === 0) return 0;
  return (2 * weighted) / (n * total) - (n + 1) / n;
}
