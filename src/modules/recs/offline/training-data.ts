import type { TrainingData } from '../model/index.js';
import { isPositiveLabel, type Split } from './split-loader.js';

/** Weight of a positive line (label 1: the viewer engaged). */
export const POSITIVE_LABEL_WEIGHT = 1;
/**
 * Weight of a negative line (label 0: shown but not engaged): a production
 * quick skip's weight (SIGNAL_WEIGHTS.quickSkip). How much it counts — as
 * exposure, as a push down of what was co-liked — is the self-tuning
 * search's to decide on the dataset's own valid split (tuning/), not fixed here.
 */
export const NEGATIVE_LABEL_WEIGHT = -1;

/** Maps a split label to a training weight: 1 → positive, 0 → negative. */
export function labelToWeight(label: number): number {
  return isPositiveLabel(label) ? POSITIVE_LABEL_WEIGHT : NEGATIVE_LABEL_WEIGHT;
}

/**
 * One triplet per (user, item): a pair seen with any positive line is
 * positive (engagement outranks an earlier or later non-engaged impression),
 * otherwise negative. The files hold a few duplicate lines.
 */
export function splitToTrainingData(
  split: Split,
  nUsers: number,
  nItems: number,
  toWeight: (label: number) => number = labelToWeight,
): TrainingData {
  const byPair = new Map<number, number>();
  for (let k = 0; k < split.users.length; k++) {
    const u = split.users[k]!;
    const i = split.items[k]!;
    if (u >= nUsers || i >= nItems) throw new Error(`line ${k + 1}: (${u}, ${i}) outside ${nUsers} users × ${nItems} items`);
    const key = u * nItems + i;
    const w = toWeight(split.labels[k]!);
    const prev = byPair.get(key);
    byPair.set(key, prev === undefined ? w : Math.max(prev, w));
  }
  const m = byPair.size;
  const users = new Int32Array(m);
  const items = new Int32Array(m);
  const weights = new Float32Array(m);
  let k = 0;
  for (const [key, w] of byPair) {
    users[k] = Math.floor(key / nItems);
    items[k] = key % nItems;
    weights[k] = w;
    k++;
  }
  return { nUsers, nItems, users, items, weights };
}
