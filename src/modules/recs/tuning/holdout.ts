import type { TrainingData } from '../model/index.js';
import type { UserItems } from '../offline/split-loader.js';

/** What the self-tuning search fits on and scores against. */
export interface Holdout {
  /** The history candidates are fitted on (every viewer's older part). */
  fit: TrainingData;
  /** Per viewer, the positives held out (what the ranking should find); viewers without any are not scored. */
  relevant: UserItems;
}

export interface TimeSplitOptions {
  /** Share of each viewer's pairs held out: the most recent ones. */
  fraction: number;
  /** Viewers with fewer pairs than this keep their whole history in `fit` (too little to split). */
  minPairs: number;
}

export const DEFAULT_TIME_SPLIT: Readonly<TimeSplitOptions> = Object.freeze({ fraction: 0.2, minPairs: 5 });

/**
 * The time split: for every viewer with at least `minPairs` pairs, the most
 * recent ⌈fraction × pairs⌉ of them (by `at`, ties in input order) are held
 * out; the rest is the fit history. The held-out positives are what a ranking
 * fitted on the older part should find next, as a retrained model serves the
 * next days. Held-out negatives leave the fit history but are not relevant.
 */
export function timeSplit(data: TrainingData, at: ArrayLike<number>, opts: TimeSplitOptions = DEFAULT_TIME_SPLIT): Holdout {
  const m = data.users.length;
  if (at.length !== m) throw new Error(`timeSplit: ${at.length} times for ${m} pairs`);
  if (!(opts.fraction > 0 && opts.fraction < 1)) throw new Error(`timeSplit: fraction must be in (0, 1), got ${opts.fraction}`);
  const byUser: number[][] = Array.from({ length: data.nUsers }, () => []);
  for (let k = 0; k < m; k++) byUser[data.users[k]!]!.push(k);
  const held = new Uint8Array(m);
  for (const ks of byUser) {
    if (ks.length < Math.max(2, opts.minPairs)) continue;
    ks.sort((a, b) => at[a]! - at[b]! || a - b);
    const n = Math.min(ks.length - 1, Math.ceil(opts.fraction * ks.length));
    for (let t = ks.length - n; t < ks.length; t++) held[ks[t]!] = 1;
  }
  let kept = 0;
  for (let k = 0; k < m; k++) if (!held[k]) kept++;
  const users = new Int32Array(kept);
  const items = new Int32Array(kept);
  const weights = new Float32Array(kept);
  const rel = new Array<Set<number> | undefined>(data.nUsers);
  let o = 0;
  for (let k = 0; k < m; k++) {
    if (held[k]) {
      if (data.weights[k]! > 0) (rel[data.users[k]!] ??= new Set()).add(data.items[k]!);
      continue;
    }
    users[o] = data.users[k]!;
    items[o] = data.items[k]!;
    weights[o] = data.weights[k]!;
    o++;
  }
  return { fit: { nUsers: data.nUsers, nItems: data.nItems, users, items, weights }, relevant: toUserItems(rel, data.nUsers) };
}

export function toUserItems(sets: ReadonlyArray<ReadonlySet<number> | undefined>, nUsers: number): UserItems {
  const indptr = new Int32Array(nUsers + 1);
  for (let u = 0; u < nUsers; u++) indptr[u + 1] = indptr[u]! + (sets[u]?.size ?? 0);
  const items = new Int32Array(indptr[nUsers]!);
  for (let u = 0; u < nUsers; u++) {
    const s = sets[u];
    if (s)
      items.set(
        Array.from(s).sort((a, b) => a - b),
        indptr[u],
      );
  }
  return { indptr, items };
}
