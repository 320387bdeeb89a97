import type { ItemGraph, RecModel, TrainingData } from '../model/index.js';
import { topK } from '../offline/metrics.js';
import { blendWeights, servedRanking, type TunedBlend } from '../served-ranking.js';

/** How deep each source is fused, as the feed does (MIN_SOURCE_DEPTH in for-you.service.ts). */
export const SERVED_DEPTH = 60;

/** One viewer as the served ranking sees them offline. */
export interface ViewerView {
  /** Their fit history, folded in as the feed folds in a live history. */
  history: Array<{ item: number; weight: number }>;
  /** Items they already interacted with: never ranked (the feed's "seen" rule; the protocol's train mask). */
  mask: Set<number>;
  /** The popularity prior's eligible list for them, best first (the feed's trending source). */
  trending: number[];
}

/**
 * The served ranking (served-ranking.ts) over a `user item` history: the
 * model's top list for a viewer and the popularity prior's, each masked and
 * cut to the feed's depth, blended by reciprocal-rank fusion. Shared by the
 * self-tuning search and the offline evaluation, so both score what is served.
 */
export class ServedEvaluator {
  readonly popularity: Float64Array;
  private readonly order: Int32Array;
  private readonly ptr: Int32Array;
  private readonly items: Int32Array;
  private readonly weights: Float32Array;

  constructor(
    readonly data: TrainingData,
    readonly depth = SERVED_DEPTH,
  ) {
    const { nUsers, nItems } = data;
    this.popularity = new Float64Array(nItems);
    for (let k = 0; k < data.users.length; k++) if (data.weights[k]! > 0) this.popularity[data.items[k]!]!++;
    // Popularity order, ties by lower index (as topK).
    this.order = Int32Array.from({ length: nItems }, (_, i) => i).sort((a, b) => this.popularity[b]! - this.popularity[a]! || a - b);
    this.ptr = new Int32Array(nUsers + 1);
    for (let k = 0; k < data.users.length; k++) this.ptr[data.users[k]! + 1]!++;
    for (let u = 0; u < nUsers; u++) this.ptr[u + 1]! += this.ptr[u]!;
    const fill = this.ptr.slice(0, nUsers);
    this.items = new Int32Array(data.users.length);
    this.weights = new Float32Array(data.users.length);
    for (let k = 0; k < data.users.length; k++) {
      const p = fill[data.users[k]!]!++;
      this.items[p] = data.items[k]!;
      this.weights[p] = data.weights[k]!;
    }
  }

  viewer(u: number): ViewerView {
    const history: Array<{ item: number; weight: number }> = [];
    const mask = new Set<number>();
    if (u < this.ptr.length - 1) {
      for (let p = this.ptr[u]!; p < this.ptr[u + 1]!; p++) {
        mask.add(this.items[p]!);
        if (this.weights[p]! !== 0) history.push({ item: this.items[p]!, weight: this.weights[p]! });
      }
    }
    const trending: number[] = [];
    for (let t = 0; t < this.order.length && trending.length < this.depth; t++) {
      const i = this.order[t]!;
      if (this.popularity[i]! > 0 && !mask.has(i)) trending.push(i);
    }
    return { history, mask, trending };
  }

  /** The model's list for this viewer: its `depth` best unmasked items. */
  personal(model: RecModel, v: ViewerView, scratch?: Float32Array): number[] {
    const scores = model.scoreAll(model.userVector(v.history), scratch);
    return Array.from(topK(scores, this.depth, v.mask));
  }

  /**
   * The model's list for this viewer under each of several fold-in variants
   * of one fitted model (same graphs: variantOf in self-tune.ts): the history
   * is accumulated once per graph and sign, then each variant's
   * userVector + scoreAll is recombined from those four sums (the same
   * arithmetic, checked against RecModel in served-evaluator.test.ts).
   */
  personalVariants(variants: readonly RecModel[], v: ViewerView): number[][] {
    if (variants.length === 0) return [];
    const base = variants[0]!;
    for (const m of variants) {
      if (m.exposure !== base.exposure || m.preference !== base.preference || m.foldIn.positivePower !== base.foldIn.positivePower) {
        throw new Error('personalVariants: the variants must share one fitted model');
      }
    }
    const n = base.nItems;
    const ep = (this.acc[0] ??= new Float64Array(n)).fill(0);
    const en = (this.acc[1] ??= new Float64Array(n)).fill(0);
    const pp = (this.acc[2] ??= new Float64Array(n)).fill(0);
    const pn = (this.acc[3] ??= new Float64Array(n)).fill(0);
    const scores = (this.scratch ??= new Float32Array(n));
    let sumX = 0;
    let nPos = 0;
    let nNeg = 0;
    let sumNeg = 0;
    for (const { item, weight } of v.history) {
      if (!Number.isInteger(item) || item < 0 || item >= n || !Number.isFinite(weight) || weight === 0) continue;
      if (weight > 0) {
        const x = Math.pow(weight, base.foldIn.positivePower);
        sumX += x;
        nPos++;
        addRow(base.exposure, item, x, ep);
        addRow(base.preference, item, x, pp);
      } else {
        nNeg++;
        sumNeg -= weight;
        addRow(base.exposure, item, 1, en);
        addRow(base.preference, item, weight, pn);
      }
    }
    // The viewer's masked items as flags (cheaper per item than a Set lookup), cleared before returning.
    const masked = (this.maskFlags ??= new Uint8Array(n));
    for (const i of v.mask) if (i < n) masked[i] = 1;
    const lists = variants.map((m) => {
      const f = m.foldIn;
      const negUsed = f.negativeExposure !== 0 || f.negativePreference !== 0 ? nNeg : 0;
      const prior = m.itemPrior;
      if (nPos + negUsed === 0) return topMasked(prior, this.depth, masked);
      const mass = sumX + f.preferenceWeight * sumX + (negUsed ? nNeg * f.negativeExposure + f.negativePreference * sumNeg : 0);
      const norm = 1 / mass;
      const scale = m.itemScale;
      const ne = f.negativeExposure;
      const pw = f.preferenceWeight;
      const np = f.negativePreference;
      const c = f.priorWeight;
      for (let j = 0; j < n; j++) {
        // As userVector (float32 personal part) then scoreAll (+ prior).
        scores[j] = Math.fround(((ep[j]! + ne * en[j]!) * scale[j]! + (pw * pp[j]! + np * pn[j]!)) * norm) + Math.fround(c) * prior[j]!;
      }
      return topMasked(scores, this.depth, masked);
    });
    for (const i of v.mask) if (i < n) masked[i] = 0;
    return lists;
  }

  private readonly acc: Float64Array[] = [];
  private scratch: Float32Array | null = null;
  private maskFlags: Uint8Array | null = null;

  /** The served top `k` for this viewer with this blend. */
  served(personal: readonly number[], v: ViewerView, blend: TunedBlend, k: number): number[] {
    return servedRanking<number>({ personal, trending: v.trending }, blendWeights(blend), undefined, k);
  }
}

function addRow(g: ItemGraph, item: number, x: number, acc: Float64Array): void {
  const end = g.indptr[item + 1]!;
  const idx = g.indices;
  const val = g.values;
  for (let p = g.indptr[item]!; p < end; p++) acc[idx[p]!]! += x * val[p]!;
}

/** topK (metrics.ts) for a Float32Array with the mask as flags: the same order (best first, ties to the lower index). */
function topMasked(scores: Float32Array, k: number, masked: Uint8Array): number[] {
  const idx = new Int32Array(k);
  const val = new Float64Array(k).fill(-Infinity);
  let filled = 0;
  let floor = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!(s > floor) || masked[i] === 1) continue;
    let p = filled < k ? filled++ : k - 1;
    while (p > 0 && val[p - 1]! < s) {
      val[p] = val[p - 1]!;
      idx[p] = idx[p - 1]!;
      p--;
    }
    val[p] = s;
    idx[p] = i;
    if (filled === k) floor = val[k - 1]!;
  }
  return Array.from(idx.subarray(0, filled));
}
