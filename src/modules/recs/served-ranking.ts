/**
 * The served ranking: how the For You feed blends its candidate sources, as
 * one pure function used by ForYouService on every request and by the
 * offline evaluation and the trainer's self-tuning (tuning/), so the figure
 * measured offline is the ranking the product serves — the model's list, the
 * popularity (trending) prior and the blend between them.
 *
 * Exploration slots (new videos on trial, interleaved afterwards) and
 * diversity are applied on top by the feed; offline datasets have no new
 * videos, so they are outside what is scored offline.
 */
import { FUSION_K } from './ranking.js';

/** How much each source's ranks count in the blend (reciprocal-rank fusion weights). */
export interface BlendWeights {
  personal: number;
  following: number;
  trending: number;
  rising: number;
  fresh: number;
}

/** The blend the feed used before self-tuning, and still uses with no tuned choice (a model trained before migration 0025, or a holdout too small to choose on). */
export const DEFAULT_BLEND: Readonly<BlendWeights> = Object.freeze({
  personal: 1,
  following: 0.6,
  trending: 0.35,
  rising: 0.35,
  fresh: 0.15,
});

/** What the trainer may choose (recorded with the model version): the model's and the popularity prior's weights. */
export interface TunedBlend {
  personal: number;
  trending: number;
}

/** The blend to serve with: the defaults, with the trainer's chosen personal and trending weights when it recorded some. */
export function blendWeights(tuned?: TunedBlend | null): BlendWeights {
  return tuned ? { ...DEFAULT_BLEND, personal: tuned.personal, trending: tuned.trending } : { ...DEFAULT_BLEND };
}

/** Each source's eligible ids, best first (already cut to the depth the feed fuses): video ids online, item indices offline. */
export interface ServedSources<T extends string | number = string> {
  /** The model's list for this viewer. */
  personal: readonly T[];
  /** The popularity prior: trending (online), item popularity (offline). */
  trending: readonly T[];
  fresh?: readonly T[];
  rising?: readonly T[];
  following?: readonly T[];
}

const SOURCE_ORDER = ['personal', 'trending', 'fresh', 'rising', 'following'] as const;

/**
 * Candidate ids, best first: reciprocal-rank fusion of the sources (each adds
 * `weight / (FUSION_K + rank)` to the items it ranks; the same rule as
 * ranking.ts `fuse`) plus a per-item adjustment (session affinity, "Not
 * interested" penalty); ties go to the lower id. A source with weight 0 takes
 * no part. With `limit`, only the best `limit` are returned (selected, not
 * sorted whole: the offline search calls this for every viewer and candidate).
 */
export function servedRanking<T extends string | number>(
  sources: ServedSources<T>,
  weights: BlendWeights,
  adjust?: (id: T) => number,
  limit = Infinity,
): T[] {
  const score = new Map<T, number>();
  for (const name of SOURCE_ORDER) {
    const ids = sources[name];
    const w = weights[name];
    if (!ids || !(w > 0)) continue;
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r]!;
      score.set(id, (score.get(id) ?? 0) + w / (FUSION_K + r + 1));
    }
  }
  if (adjust) for (const [id, v] of score) score.set(id, v + adjust(id));
  const better = (a: T, sa: number, b: T, sb: number): boolean => sa > sb || (sa === sb && a < b);
  if (limit >= score.size) {
    return [...score.entries()].sort((a, b) => (better(a[0], a[1], b[0], b[1]) ? -1 : 1)).map(([id]) => id);
  }
  // A small sorted buffer: `limit` is a page or NDCG's k.
  const ids: T[] = [];
  const vals: number[] = [];
  for (const [id, v] of score) {
    if (ids.length === limit && !better(id, v, ids[limit - 1]!, vals[limit - 1]!)) continue;
    let p = ids.length < limit ? ids.length : limit - 1;
    ids[p] = id;
    vals[p] = v;
    while (p > 0 && better(id, v, ids[p - 1]!, vals[p - 1]!)) {
      ids[p] = ids[p - 1]!;
      vals[p] = vals[p - 1]!;
      ids[p - 1] = id;
      vals[p - 1] = v;
      p--;
    }
  }
  return ids;
}
