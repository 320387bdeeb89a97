/**
 * A viewer's recent taste as serving reads it, from the same per-video
 * signals training uses (signals.ts): which creators, hashtags and model
 * items their newest positives and negatives point at. Built once per
 * request from the history already read, bounded by `TASTE.maxPairs`.
 *
 * Two uses: negative feedback reaches beyond the exact video (the model
 * neighbours of what the viewer quickly skipped or marked "Not interested"
 * sink in every source of the blend, not only in the model's own ranking),
 * and topic-aware exploration (exploration.ts) matches new videos on trial
 * against it. Pure: no I/O.
 */
import type { ItemGraph, RecModel } from './model/index.js';
import type { RankItem } from './ranking.js';
import type { NotInterestedMark } from './recs.repository.js';
import { SIGNAL_WEIGHTS, signalWeight, type HistoryPair } from './signals.js';

export const TASTE = Object.freeze({
  /** The viewer's newest videos (with a non-zero signal) that make the profile. */
  maxPairs: 50,
  /** Recency decay, in videos: the tenth newest counts half as much as the newest. */
  halfLife: 10,
  /** "Not interested" marks beyond the history window that still count as items (the newest). */
  maxMarks: 20,
  /** Nearest model items read per item (the strongest of its graph row). */
  neighbours: 30,
  /**
   * Graph rows one request may cut for the first time (each a sort of up to
   * the model's neighbours per item); rows already cut are free. Items past
   * the budget count without their neighbours in that request: the work per
   * request stays bounded while a new model's cache fills.
   */
  newRowsPerRequest: 24,
});

export interface TasteProfile {
  /** Creator → signed, recency-decayed evidence. */
  authors: Map<string, number>;
  /** Hashtag → signed, recency-decayed evidence. */
  tags: Map<string, number>;
  /** Model item index → signed, recency-decayed evidence. */
  items: Map<number, number>;
  /** What is left of this request's TASTE.newRowsPerRequest (the profile lives for one request). */
  rowBudget: { left: number };
}

/**
 * The profile of a history (newest first) and the viewer's "Not interested"
 * marks. `tagOf` gives a video's hashtag (the catalog's), `itemOf` its model
 * index (undefined for a video the model does not know).
 */
export function tasteProfile(
  history: readonly HistoryPair[],
  marks: readonly NotInterestedMark[],
  tagOf: (videoId: string) => string | null,
  itemOf: (videoId: string) => number | undefined,
): TasteProfile {
  const p: TasteProfile = { authors: new Map(), tags: new Map(), items: new Map(), rowBudget: { left: TASTE.newRowsPerRequest } };
  const add = <K>(m: Map<K, number>, k: K, w: number) => m.set(k, (m.get(k) ?? 0) + w);
  let n = 0;
  for (const pair of history) {
    if (n >= TASTE.maxPairs) break;
    const weight = signalWeight(pair);
    if (weight === 0) continue;
    const w = weight * Math.pow(0.5, n / TASTE.halfLife);
    n++;
    add(p.authors, pair.ownerId, w);
    const tag = tagOf(pair.videoId);
    if (tag) add(p.tags, tag, w);
    const item = itemOf(pair.videoId);
    if (item !== undefined) add(p.items, item, w);
  }
  // Marks older than the history window: their videos still repel their neighbours (authors and hashtags have notInterestedPenalty).
  for (const m of marks.slice(0, TASTE.maxMarks)) {
    const item = itemOf(m.videoId);
    if (item !== undefined && !p.items.has(item)) p.items.set(item, SIGNAL_WEIGHTS.notInterested * 0.5);
  }
  return p;
}

/** One item's nearest model items and how near (the row's strongest = 1). */
export interface Neighbourhood {
  items: Int32Array;
  weights: Float32Array;
}

const NO_NEIGHBOURS: Neighbourhood = { items: new Int32Array(0), weights: new Float32Array(0) };

/**
 * Nearest model items per item, read from the model's preference graph
 * ("viewers who liked this liked that"; the exposure graph when an item has
 * no positive co-occurrence yet), the `TASTE.neighbours` strongest of each
 * row, normalised by the row's strongest. Computed on first use per item and
 * kept for the model's lifetime: bounded work per request.
 */
export class Neighbours {
  private readonly rows = new Map<number, Neighbourhood>();

  constructor(private readonly model: RecModel) {}

  /** The item's nearest items; with a `budget`, an uncut row costs one of it, and none is left: no neighbours (not cached). */
  of(item: number, budget?: { left: number }): Neighbourhood {
    let row = this.rows.get(item);
    if (!row) {
      if (budget) {
        if (budget.left <= 0) return NO_NEIGHBOURS;
        budget.left--;
      }
      row = topRow(this.model.preference, item) ?? topRow(this.model.exposure, item) ?? NO_NEIGHBOURS;
      this.rows.set(item, row);
    }
    return row;
  }
}

function topRow(g: ItemGraph, item: number): Neighbourhood | null {
  const from = g.indptr[item]!;
  const to = g.indptr[item + 1]!;
  const order: number[] = [];
  for (let k = from; k < to; k++) if (g.values[k]! > 0 && g.indices[k] !== item) order.push(k);
  if (order.length === 0) return null;
  order.sort((a, b) => g.values[b]! - g.values[a]!);
  const top = order.slice(0, TASTE.neighbours);
  const max = g.values[top[0]!]!;
  return { items: Int32Array.from(top, (k) => g.indices[k]!), weights: Float32Array.from(top, (k) => g.values[k]! / max) };
}

/**
 * The viewer's recent negatives as a per-item penalty (≤ 0) for the blend:
 * a video among the nearest model items of ones they quickly skipped, skipped
 * or marked "Not interested" loses up to `strength`, more the nearer it is
 * and the more (and the more recent) such negatives point at it. Work:
 * ≤ TASTE.maxPairs + TASTE.maxMarks rows of TASTE.neighbours per request, at
 * most TASTE.newRowsPerRequest of them cut for the first time.
 */
export function similarNegativePenalty(
  profile: TasteProfile,
  neighbours: Neighbours | null,
  itemOf: (videoId: string) => number | undefined,
  strength: number,
): (item: RankItem) => number {
  if (!neighbours || strength === 0) return () => 0;
  const push = new Map<number, number>();
  for (const [item, w] of profile.items) {
    if (w >= 0) continue;
    const row = neighbours.of(item, profile.rowBudget);
    for (let k = 0; k < row.items.length; k++) push.set(row.items[k]!, (push.get(row.items[k]!) ?? 0) + w * row.weights[k]!);
  }
  if (push.size === 0) return () => 0;
  return (it) => {
    const i = itemOf(it.id);
    const v = i === undefined ? undefined : push.get(i);
    return v === undefined ? 0 : strength * Math.tanh(v / 2);
  };
}
