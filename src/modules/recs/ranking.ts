/**
 * The pure half of the For You feed: blending candidate sources, the
 * exploration bandit, real-time session affinity and diversity. No I/O, a
 * random source passed in, so every rule is tested directly.
 */

export type Rng = () => number;

/** What ranking needs to know about a candidate. */
export interface RankItem {
  id: string;
  ownerId: string;
  tag: string | null;
}

/** One ranked source (best first) and how much its ranks count in the blend. */
export interface Source {
  name: string;
  ids: readonly string[];
  weight: number;
}

/** Reciprocal-rank fusion constant: how quickly a source's later ranks stop counting. */
export const FUSION_K = 20;

/**
 * Reciprocal-rank fusion: each source adds `weight / (K + rank)` to the items
 * it ranks, so an item several sources like rises, and no source's raw score
 * scale matters. `adjust` adds a per-item term (session affinity).
 */
export function fuse(sources: readonly Source[], adjust: (id: string) => number = () => 0, k = FUSION_K): string[] {
  const score = new Map<string, number>();
  for (const s of sources) {
    s.ids.forEach((id, rank) => score.set(id, (score.get(id) ?? 0) + s.weight / (k + rank + 1)));
  }
  for (const [id, v] of score) score.set(id, v + adjust(id));
  return [...score.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([id]) => id);
}

// ----------------------------------------------------------------- exploration

/** Prior belief about a new video's engagement rate: Beta(a, b), mean a / (a + b). */
export const EXPLORE_PRIOR = Object.freeze({ a: 1, b: 2 });

function sampleGamma(shape: number, rng: Rng): number {
  if (shape < 1) return sampleGamma(shape + 1, rng) * Math.pow(rng() || Number.MIN_VALUE, 1 / shape);
  // Marsaglia & Tsang (2000).
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // Box–Muller normal.
      const u1 = rng() || Number.MIN_VALUE;
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng());
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng() || Number.MIN_VALUE;
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function sampleBeta(a: number, b: number, rng: Rng): number {
  const x = sampleGamma(a, rng);
  const y = sampleGamma(b, rng);
  return x / (x + y);
}

export interface ExploreArm {
  id: string;
  /** Viewers it was shown to, and how many of them engaged. */
  viewers: number;
  engaged: number;
}

/**
 * Thompson sampling over new videos: each draws a plausible engagement rate
 * from its posterior and the pool is ordered by the draws. A video nobody has
 * seen has a wide posterior and gets its trial; one that holds attention
 * draws high and keeps winning slots; one that does not fades out.
 */
export function thompsonOrder(arms: readonly ExploreArm[], rng: Rng): string[] {
  return arms
    .map((arm) => {
      const engaged = Math.min(arm.engaged, arm.viewers);
      return { id: arm.id, draw: sampleBeta(EXPLORE_PRIOR.a + engaged, EXPLORE_PRIOR.b + arm.viewers - engaged, rng) };
    })
    .sort((x, y) => y.draw - x.draw)
    .map((x) => x.id);
}

/**
 * At most `n` of `items`, each equally likely (a partial Fisher–Yates
 * shuffle): Thompson sampling over a random subset of a large trial pool
 * costs a bounded number of draws per request and stays fair over requests.
 */
export function sampleSubset<T>(items: readonly T[], n: number, rng: Rng): T[] {
  if (items.length <= n) return [...items];
  // Only the swapped positions are remembered: O(n) work and memory, whatever the pool's size.
  const swapped = new Map<number, T>();
  const at = (k: number): T => (swapped.has(k) ? swapped.get(k)! : items[k]!);
  const out: T[] = [];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng() * (items.length - i));
    const picked = at(j);
    swapped.set(j, at(i));
    out.push(picked);
  }
  return out;
}

/** Viewers a trial needs before it can fail. */
export const TRIAL_MIN_VIEWERS = 10;

/**
 * A trial that clearly failed: enough viewers, and even an optimistic view of
 * its engagement (posterior mean + 2 standard deviations) is below half the
 * baseline rate of new videos. It stops taking exploration slots.
 */
export function trialFailed(arm: ExploreArm, baseline: number): boolean {
  if (arm.viewers < TRIAL_MIN_VIEWERS || baseline <= 0) return false;
  const engaged = Math.min(arm.engaged, arm.viewers);
  const a = EXPLORE_PRIOR.a + engaged;
  const b = EXPLORE_PRIOR.b + arm.viewers - engaged;
  const mean = a / (a + b);
  const sd = Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
  return mean + 2 * sd < baseline / 2;
}

/** Posterior mean engagement, for promoting new videos that proved themselves. */
export function posteriorMean(arm: ExploreArm): number {
  const engaged = Math.min(arm.engaged, arm.viewers);
  return (EXPLORE_PRIOR.a + engaged) / (EXPLORE_PRIOR.a + EXPLORE_PRIOR.b + arm.viewers);
}

/**
 * Puts exploration items into the ranked list: each position is, with
 * probability `share`, the next exploration item not already used.
 */
export function interleave(ranked: readonly string[], explore: readonly string[], share: number, length: number, rng: Rng): string[] {
  const out: string[] = [];
  const used = new Set<string>();
  let r = 0;
  let e = 0;
  const next = (list: readonly string[], i: number): [string | undefined, number] => {
    while (i < list.length && used.has(list[i]!)) i++;
    return [list[i], i + 1];
  };
  while (out.length < length) {
    let id: string | undefined;
    if (rng() < share) [id, e] = next(explore, e);
    if (id === undefined) [id, r] = next(ranked, r);
    if (id === undefined) [id, e] = next(explore, e);
    if (id === undefined) break;
    used.add(id);
    out.push(id);
  }
  return out;
}

// ----------------------------------------------------------------- affinity

export interface RecentSignal {
  ownerId: string;
  tag: string | null;
  /** Signed strength (signals.ts); the newest first. */
  weight: number;
}

/**
 * What the viewer just did, as a per-item adjustment: authors and hashtags
 * they completed or liked in the last few videos go up, those they skipped go
 * down, the newest counting most. This is the real-time part that works even
 * for videos no model knows yet.
 */
export function sessionAffinity(recent: readonly RecentSignal[], strength: number, halfLife = 5): (item: RankItem) => number {
  const author = new Map<string, number>();
  const tag = new Map<string, number>();
  recent.forEach((s, i) => {
    const w = s.weight * Math.pow(0.5, i / halfLife);
    author.set(s.ownerId, (author.get(s.ownerId) ?? 0) + w);
    if (s.tag) tag.set(s.tag, (tag.get(s.tag) ?? 0) + w);
  });
  return (item) => {
    const a = Math.tanh((author.get(item.ownerId) ?? 0) / 2);
    const t = item.tag ? Math.tanh((tag.get(item.tag) ?? 0) / 2) : 0;
    return strength * (a + 0.5 * t);
  };
}

// ----------------------------------------------------------------- not interested

/** What one viewer's "Not interested" costs the author's and the hashtags' other videos, for that viewer only. */
export const NOT_INTERESTED_PENALTY = Object.freeze({ author: 0.1, tag: 0.04 });

/** The part of a "Not interested" mark the penalty reads. */
export interface NotInterestedSignal {
  ownerId: string;
  tags: readonly string[];
}

/**
 * The viewer's "Not interested" marks as a per-item penalty (≤ 0, added to the
 * fused score): another video by a marked author loses up to `author`, one whose
 * hashtag was on a marked video up to `tag`; more marks on the same author or
 * hashtag cost more, never beyond those bounds. The author's penalty alone
 * outweighs any one source's best rank (a weight of 1 over FUSION_K + 1), so it
 * sinks below unmarked videos — down-weighted, not banned: with nothing else
 * left it still shows.
 */
export function notInterestedPenalty(
  marks: readonly NotInterestedSignal[],
  weights: { author: number; tag: number } = NOT_INTERESTED_PENALTY,
): (item: RankItem) => number {
  if (marks.length === 0) return () => 0;
  const author = new Map<string, number>();
  const tag = new Map<string, number>();
  for (const m of marks) {
    author.set(m.ownerId, (author.get(m.ownerId) ?? 0) + 1);
    for (const t of new Set(m.tags)) tag.set(t, (tag.get(t) ?? 0) + 1);
  }
  return (item) => {
    const a = Math.tanh(author.get(item.ownerId) ?? 0);
    const t = item.tag ? Math.tanh(tag.get(item.tag) ?? 0) : 0;
    const cost = weights.author * a + weights.tag * t;
    return cost === 0 ? 0 : -cost;
  };
}

// ----------------------------------------------------------------- diversity

/**
 * Picks `limit` items in order, never the same creator twice in a row and
 * never three of one hashtag in a row, taking the best item that keeps the
 * rules; when none does (a tiny catalog) the best remaining one.
 */
export function diversify<T extends RankItem>(ordered: readonly T[], limit: number): T[] {
  const pool = [...ordered];
  const out: T[] = [];
  while (out.length < limit && pool.length > 0) {
    const prev = out[out.length - 1];
    const prev2 = out[out.length - 2];
    let pick = pool.findIndex((c) => c.ownerId !== prev?.ownerId && !(c.tag && prev?.tag === c.tag && prev2?.tag === c.tag));
    if (pick < 0) pick = 0;
    out.push(pool.splice(pick, 1)[0]!);
  }
  return out;
}

/**
 * Indices of the `n` largest values among `candidates` (by `score[i]`), best
 * first. Every For You request selects from the whole model this way: a
 * min-heap of size n in typed arrays, each index kept with its score, so the
 * scan of thousands of candidates is one comparison with the heap's least.
 */
export function topIndices(score: ArrayLike<number>, candidates: readonly number[], n: number): number[] {
  if (candidates.length <= n) return [...candidates].sort((a, b) => score[b]! - score[a]!);
  const heap = new Int32Array(n);
  const val = new Float64Array(n);
  let size = 0;
  const swap = (i: number, j: number) => {
    const h = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = h;
    const v = val[i]!;
    val[i] = val[j]!;
    val[j] = v;
  };
  for (let k = 0; k < candidates.length; k++) {
    const c = candidates[k]!;
    const s = score[c]!;
    if (size < n) {
      heap[size] = c;
      val[size] = s;
      // Up.
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!(val[i]! < val[p]!)) break;
        swap(i, p);
        i = p;
      }
    } else if (val[0]! < s) {
      heap[0] = c;
      val[0] = s;
      // Down.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < size && val[l]! < val[m]!) m = l;
        if (r < size && val[r]! < val[m]!) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
  }
  return Array.from(heap).sort((a, b) => score[b]! - score[a]!);
}
