/**
 * Topic-aware exploration: which new videos on trial a viewer's exploration
 * slots go to. The budget (RECS_EXPLORE_SHARE of slots), the Thompson
 * sampling over each video's engagement posterior and graduation/failure
 * (catalog.ts, ranking.ts) are unchanged; what changes is the order of the
 * trial videos for this viewer: each Thompson draw is multiplied by
 * exp(topicWeight · match), where match ∈ (−1, 1) says how well the video
 * fits the viewer's recent taste (taste.ts) — its creator, its hashtag, and
 * its nearest model items against the creators, hashtags and items the viewer
 * recently watched through, liked or skipped. A niche video's trial
 * impressions so land mostly on its topic's fans instead of on whoever comes
 * by; a video that matches nothing of the viewer competes on its draw alone,
 * and one clearly like what the viewer rejects (match ≤ REJECTED_MATCH) takes
 * none of their exploration slots (those go to their ranking instead).
 * The same fit moves trial videos a little in the blend (trialFit), where
 * they also arrive through the rising and newest sources.
 *
 * Cost per request is bounded: ARMS_PER_REQUEST random trial videos plus at
 * most MATCHED_ARMS found through the snapshot's creator/hashtag index, each
 * matched over at most TASTE.neighbours model items (graph rows cut once per
 * model, at most TASTE.newRowsPerRequest new ones per request).
 */
import type { CatalogSnapshot } from './catalog.js';
import type { LoadedModel } from './model-store.js';
import { sampleBeta, sampleSubset, EXPLORE_PRIOR, type ExploreArm, type RankItem, type Rng } from './ranking.js';
import { Neighbours, type Neighbourhood, type TasteProfile } from './taste.js';

/** Trial videos drawn for per request (a random subset of the pool when it is larger). */
export const ARMS_PER_REQUEST = 200;
/** Trial videos by the viewer's recent creators or with their recent hashtags added to the random subset, at most. */
export const MATCHED_ARMS = 50;
/** At or below this match (e.g. two recent quick skips of its creator) a trial video takes no exploration slot of the viewer's. */
export const REJECTED_MATCH = -0.5;
/** A trial video's place in the blend moves by up to this × the topic weight with its fit (trialFit). */
export const FIT_PER_WEIGHT = 0.01;
/** The viewer's strongest positive creators and hashtags looked up in the index. */
const MATCH_KEYS = 10;

/** The trial pool of one catalog snapshot, indexed by creator and hashtag, with the model's neighbours (per model). */
export class ExplorationIndex {
  /** The trial pool's ids. */
  readonly armIds = new Set<string>();
  readonly byOwner = new Map<string, ExploreArm[]>();
  readonly byTag = new Map<string, ExploreArm[]>();
  readonly neighbours: Neighbours | null;
  /** What matching reads of each trial video, looked up once per (snapshot, model) pair rather than per request. */
  private readonly facts = new Map<string, ArmFacts>();
  /** itemWeights' array (one per index, reused request after request) and the taste it holds now. */
  private dense: Float64Array | null = null;
  private denseFor: TasteProfile | null = null;

  private constructor(
    readonly catalog: CatalogSnapshot,
    readonly loaded: LoadedModel | null,
  ) {
    for (const arm of catalog.arms) {
      this.armIds.add(arm.id);
      const v = catalog.byId.get(arm.id);
      if (!v) continue;
      push(this.byOwner, v.ownerId, arm);
      if (v.tag) push(this.byTag, v.tag, arm);
      this.facts.set(arm.id, { ownerId: v.ownerId, tag: v.tag, item: loaded?.index.get(arm.id) ?? -1, row: null });
    }
    this.neighbours = loaded ? modelNeighbours(loaded) : null;
  }

  private static last: ExplorationIndex | null = null;

  /** The index of this (snapshot, model) pair: built once per pair, O(trial pool). */
  static of(catalog: CatalogSnapshot, loaded: LoadedModel | null): ExplorationIndex {
    const last = ExplorationIndex.last;
    if (last?.catalog === catalog && last.loaded === loaded) return last;
    return (ExplorationIndex.last = new ExplorationIndex(catalog, loaded));
  }

  /** How well a trial video fits the viewer's recent taste, in (−1, 1); 0 when nothing relates them. */
  match(armId: string, taste: TasteProfile): number {
    // One request asks twice for a trial video it blends (trialFit) and orders (topicAwareOrder): computed once.
    let memo = matchMemo.get(taste);
    if (!memo) matchMemo.set(taste, (memo = new Map<string, number>()));
    let m = memo.get(armId);
    if (m === undefined) memo.set(armId, (m = this.computeMatch(armId, taste)));
    return m;
  }

  private computeMatch(armId: string, taste: TasteProfile): number {
    const f = this.facts.get(armId);
    if (!f) return 0;
    let x = (taste.authors.get(f.ownerId) ?? 0) + (f.tag ? 0.5 * (taste.tags.get(f.tag) ?? 0) : 0);
    if (f.item >= 0 && this.neighbours && taste.items.size > 0) {
      // A row once cut is kept with the facts; an empty answer may be the request's row budget running out, so it is asked again.
      let row = f.row;
      if (!row) {
        row = this.neighbours.of(f.item, taste.rowBudget);
        if (row.items.length > 0) f.row = row;
      }
      const weights = this.itemWeights(taste);
      for (let k = 0; k < row.items.length; k++) {
        const w = weights[row.items[k]!]!;
        if (w !== 0) x += w * row.weights[k]!;
      }
    }
    return Math.tanh(x / 2);
  }

  /** The taste's item weights as an array by model item (0 = none): a request matches hundreds of rows against them. */
  private itemWeights(taste: TasteProfile): Float64Array {
    const n = this.loaded?.model.nItems ?? 0;
    if (this.dense?.length !== n) {
      this.dense = new Float64Array(n);
      this.denseFor = null;
    }
    const dense = this.dense;
    if (this.denseFor !== taste) {
      if (this.denseFor) for (const i of this.denseFor.items.keys()) if (i >= 0 && i < n) dense[i] = 0;
      // Items outside the model match no row item: leaving them out changes no sum.
      for (const [i, w] of taste.items) if (i >= 0 && i < n) dense[i] = w;
      this.denseFor = taste;
    }
    return dense;
  }

  /**
   * The same fit as a per-item adjustment of the blend, for videos on trial
   * only: a trial video also reaches a viewer through the rising and newest
   * sources, which are the same for everyone; there it moves by up to
   * ±FIT_PER_WEIGHT · topicWeight (about a source's rank 1 against rank 20),
   * so a niche video that proves itself rises for its topic's fans rather
   * than for everyone. topicWeight 0: no adjustment.
   */
  trialFit(taste: TasteProfile, topicWeight: number): (item: RankItem) => number {
    const strength = FIT_PER_WEIGHT * topicWeight;
    if (strength === 0 || this.armIds.size === 0) return () => 0;
    return (item) => (this.armIds.has(item.id) ? strength * this.match(item.id, taste) : 0);
  }

  /**
   * The trial videos this request considers: a random subset of the pool and
   * those by the viewer's strongest recent creators or with their hashtags.
   */
  candidates(taste: TasteProfile, rng: Rng): ExploreArm[] {
    const picked = sampleSubset(this.catalog.arms, ARMS_PER_REQUEST, rng);
    if (this.catalog.arms.length <= ARMS_PER_REQUEST) return picked;
    const have = new Set(picked.map((a) => a.id));
    let extra = 0;
    const addFrom = (index: Map<string, ExploreArm[]>, prefs: Map<string, number>) => {
      for (const key of strongest(prefs, MATCH_KEYS)) {
        for (const arm of index.get(key) ?? []) {
          if (extra >= MATCHED_ARMS) return;
          if (have.has(arm.id)) continue;
          have.add(arm.id);
          picked.push(arm);
          extra++;
        }
      }
    };
    addFrom(this.byOwner, taste.authors);
    addFrom(this.byTag, taste.tags);
    return picked;
  }
}

/**
 * The trial videos in the order this viewer's exploration slots take them:
 * a Thompson draw from each one's engagement posterior, times
 * exp(topicWeight · match). topicWeight 0 is plain (topic-blind) Thompson
 * sampling. With `limit`, only the first `limit` of that order (a page needs
 * a few; every arm is still drawn for, so the random sequence is the same).
 */
export function topicAwareOrder(
  arms: readonly ExploreArm[],
  match: (armId: string) => number,
  topicWeight: number,
  rng: Rng,
  limit = Infinity,
): string[] {
  // The best `limit` so far, best first; a later arm goes after those with an equal key (as a stable sort puts it).
  const ids: string[] = [];
  const keys: number[] = [];
  const all = limit >= arms.length;
  for (const arm of arms) {
    const engaged = Math.min(arm.engaged, arm.viewers);
    const draw = sampleBeta(EXPLORE_PRIOR.a + engaged, EXPLORE_PRIOR.b + arm.viewers - engaged, rng);
    let key = draw;
    if (topicWeight !== 0) {
      const m = match(arm.id);
      // Clear evidence the viewer rejects what it is like: the slot goes to their ranking instead (its place there stays).
      if (m <= REJECTED_MATCH) continue;
      key = draw * Math.exp(topicWeight * m);
    }
    if (all) {
      ids.push(arm.id);
      keys.push(key);
      continue;
    }
    if (ids.length === limit && !(key > keys[limit - 1]!)) continue;
    let p = ids.length < limit ? ids.length : limit - 1;
    while (p > 0 && key > keys[p - 1]!) {
      ids[p] = ids[p - 1]!;
      keys[p] = keys[p - 1]!;
      p--;
    }
    ids[p] = arm.id;
    keys[p] = key;
  }
  if (!all) return ids;
  const order = ids.map((_, i) => i).sort((x, y) => keys[y]! - keys[x]!);
  return order.map((i) => ids[i]!);
}

/** A trial video as matching reads it: its creator, hashtag, model item (−1: not in the model) and, once cut, its graph row. */
interface ArmFacts {
  ownerId: string;
  tag: string | null;
  item: number;
  row: Neighbourhood | null;
}

const neighboursByModel = new WeakMap<LoadedModel, Neighbours>();
/** Per request (a taste profile lives for one): each trial video's match, once. */
const matchMemo = new WeakMap<TasteProfile, Map<string, number>>();

/** The nearest-items cache of a loaded model (one per model version, filled as requests need rows). */
export function modelNeighbours(loaded: LoadedModel): Neighbours {
  let n = neighboursByModel.get(loaded);
  if (!n) neighboursByModel.set(loaded, (n = new Neighbours(loaded.model)));
  return n;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** The `n` keys with the largest positive values. */
function strongest(m: Map<string, number>, n: number): string[] {
  return [...m.entries()]
    .filter(([, w]) => w > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k]) => k);
}
