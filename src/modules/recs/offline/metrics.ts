import type { UserItems } from './split-loader.js';

/**
 * Indices of the k highest scores, best first, skipping masked items (ties:
 * lower index first). Items scored NaN or -Infinity are never picked.
 */
export function topK(scores: ArrayLike<number>, k: number, masked?: ReadonlySet<number> | ArrayLike<number>): Int32Array {
  const skip = masked === undefined ? undefined : masked instanceof Set ? masked : new Set(Array.from(masked as ArrayLike<number>));
  // A small sorted buffer (k is 20 here): insertion is cheaper than a heap.
  const idx = new Int32Array(k);
  const val = new Float64Array(k).fill(-Infinity);
  let filled = 0;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    // Also rejects NaN and -Infinity (val starts at -Infinity).
    if (!(s > val[k - 1]!)) continue;
    if (skip?.has(i)) continue;
    let p = filled < k ? filled++ : k - 1;
    while (p > 0 && val[p - 1]! < s) {
      val[p] = val[p - 1]!;
      idx[p] = idx[p - 1]!;
      p--;
    }
    val[p] = s;
    idx[p] = i;
  }
  return filled === k ? idx : idx.slice(0, filled);
}

/** hits / number of relevant items (0 when there are none). */
export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let hits = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (relevant.has(ranked[r]!)) hits++;
  return hits / relevant.size;
}

/** NDCG with binary gain; the ideal DCG puts min(|relevant|, k) hits on top. */
export function ndcgAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  for (let r = 0; r < Math.min(k, ranked.length); r++) if (relevant.has(ranked[r]!)) dcg += 1 / Math.log2(r + 2);
  let idcg = 0;
  for (let r = 0; r < Math.min(k, relevant.size); r++) idcg += 1 / Math.log2(r + 2);
  return dcg / idcg;
}

export interface RankingMetrics {
  recall: number;
  ndcg: number;
  users: number;
}

/**
 * Full-ranking evaluation: for every user with at least one relevant item,
 * score all items, mask the user's training items, take the top k and average
 * Recall@k and NDCG@k over those users.
 */
export function evaluateRanking(
  score: (user: number) => ArrayLike<number>,
  relevant: UserItems,
  masked: UserItems,
  k: number,
): RankingMetrics {
  return averageOverUsers(relevant, k, (u) => {
    const mask = u < masked.indptr.length - 1 ? masked.items.subarray(masked.indptr[u], masked.indptr[u + 1]) : new Int32Array(0);
    return topK(score(u), k, new Set<number>(mask));
  });
}

/**
 * Recall@k and NDCG@k of `ranked(u)` averaged over every user with at least
 * one relevant item (the others are not asked for a list).
 */
export function averageOverUsers(relevant: UserItems, k: number, ranked: (user: number) => ArrayLike<number>): RankingMetrics {
  const nUsers = relevant.indptr.length - 1;
  let recall = 0;
  let ndcg = 0;
  let users = 0;
  for (let u = 0; u < nUsers; u++) {
    const a = relevant.indptr[u]!;
    const b = relevant.indptr[u + 1]!;
    if (a === b) continue;
    const rel = new Set<number>(relevant.items.subarray(a, b));
    const list = ranked(u);
    recall += recallAtK(list, rel, k);
    ndcg += ndcgAtK(list, rel, k);
    users++;
  }
  return { recall: users ? recall / users : 0, ndcg: users ? ndcg / users : 0, users };
}
