import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { resolveParams, type ModelParams } from './params.js';
import { RecModel, type ItemGraph } from './rec-model.js';

export interface TrainingData {
  nUsers: number;
  nItems: number;
  /** COO triplets, one per (user, item) pair, deduplicated by the caller: */
  users: Int32Array;
  items: Int32Array;
  /** Signed signal strength: > 0 positive (larger = stronger), < 0 negative (quick skip / shown but not engaged). */
  weights: Float32Array;
}

export interface TrainProgress {
  phase: string;
  iteration: number;
  of: number;
}

/** Bipartite incidence in both directions (CSR by user and by item). */
interface Incidence {
  userPtr: Int32Array;
  userItems: Int32Array;
  itemPtr: Int32Array;
  itemUsers: Int32Array;
}

/**
 * Fits the model (see rec-model.ts). Cost ≈ Σ_users (items per user)² per
 * graph plus a top-N selection per item; it yields to the event loop every 32
 * items (and every 20 ms) so an API process stays responsive while it trains.
 */
export async function trainModel(
  data: TrainingData,
  params?: Partial<ModelParams>,
  onProgress?: (p: TrainProgress) => void,
): Promise<RecModel> {
  const p = resolveParams(params);
  validateData(data);
  const { nUsers, nItems } = data;
  const m = data.users.length;

  // Exposure: every pair with a non-zero signal. Preference: positives only.
  const isExposure = new Uint8Array(m);
  const isPositive = new Uint8Array(m);
  const posCount = new Float64Array(nItems);
  const expCount = new Float64Array(nItems);
  for (let k = 0; k < m; k++) {
    const w = data.weights[k]!;
    if (w === 0) continue;
    isExposure[k] = 1;
    expCount[data.items[k]!]!++;
    if (w > 0) {
      isPositive[k] = 1;
      posCount[data.items[k]!]!++;
    }
  }
  const exposureIncidence = incidence(data, isExposure, nUsers, nItems);
  const preferenceIncidence = incidence(data, isPositive, nUsers, nItems);

  const exposure = await rp3Graph(exposureIncidence, nItems, p, (i, of) => onProgress?.({ phase: 'exposure graph', iteration: i, of }));
  const preference = await rp3Graph(preferenceIncidence, nItems, p, (i, of) =>
    onProgress?.({ phase: 'preference graph', iteration: i, of }),
  );

  // Put the preference graph on the exposure graph's scale, so preferenceWeight reads as a ratio.
  const ratio = meanAbs(preference.values) > 0 ? meanAbs(exposure.values) / meanAbs(preference.values) : 1;
  for (let k = 0; k < preference.values.length; k++) preference.values[k]! *= ratio;

  const itemScale = engagementScale(posCount, expCount, p.rateShrinkage, p.rateExponent);
  // Prior: how many viewers engaged, relative to the most engaged item (in [0, 1]).
  let maxPos = 0;
  for (let i = 0; i < nItems; i++) if (posCount[i]! > maxPos) maxPos = posCount[i]!;
  const itemPrior = new Float32Array(nItems);
  for (let i = 0; i < nItems; i++) itemPrior[i] = maxPos > 0 ? posCount[i]! / maxPos : 0;

  onProgress?.({ phase: 'done', iteration: 1, of: 1 });
  return new RecModel({
    nItems,
    itemPrior,
    itemScale,
    exposure,
    preference,
    foldIn: {
      negativeExposure: p.negativeExposure,
      preferenceWeight: p.preferenceWeight,
      negativePreference: p.negativePreference,
      priorWeight: p.priorWeight,
      positivePower: p.positivePower,
    },
  });
}

/**
 * Each item's multiplier on the exposure graph: its shrunk engagement rate
 * (positives + s·globalRate) / (exposures + s), raised to `exponent` (0: all 1).
 * Exported so the self-tuning search can try exponents without refitting the graphs.
 */
export function engagementScale(posCount: Float64Array, expCount: Float64Array, shrinkage: number, exponent: number): Float32Array {
  const n = posCount.length;
  let posTotal = 0;
  let expTotal = 0;
  for (let i = 0; i < n; i++) {
    posTotal += posCount[i]!;
    expTotal += expCount[i]!;
  }
  const globalRate = expTotal > 0 ? posTotal / expTotal : 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const rate = (posCount[i]! + shrinkage * globalRate) / (expCount[i]! + shrinkage);
    out[i] = exponent === 0 ? 1 : Math.pow(rate > 0 ? rate : 0, exponent);
  }
  return out;
}

/** Per item: viewers with a positive, and viewers with any non-zero signal (exposure). */
export function itemCounts(data: TrainingData): { posCount: Float64Array; expCount: Float64Array } {
  const posCount = new Float64Array(data.nItems);
  const expCount = new Float64Array(data.nItems);
  for (let k = 0; k < data.users.length; k++) {
    const w = data.weights[k]!;
    if (w === 0) continue;
    expCount[data.items[k]!]!++;
    if (w > 0) posCount[data.items[k]!]!++;
  }
  return { posCount, expCount };
}

function validateData(d: TrainingData): void {
  if (!Number.isInteger(d.nUsers) || d.nUsers < 0) throw new Error(`TrainingData.nUsers: invalid ${d.nUsers}`);
  if (!Number.isInteger(d.nItems) || d.nItems < 0) throw new Error(`TrainingData.nItems: invalid ${d.nItems}`);
  const m = d.users.length;
  if (d.items.length !== m || d.weights.length !== m) {
    throw new Error(`TrainingData: users, items and weights differ in length (${m}, ${d.items.length}, ${d.weights.length})`);
  }
  for (let k = 0; k < m; k++) {
    const u = d.users[k]!;
    const i = d.items[k]!;
    if (u < 0 || u >= d.nUsers) throw new Error(`TrainingData: user ${u} at ${k} out of range [0, ${d.nUsers})`);
    if (i < 0 || i >= d.nItems) throw new Error(`TrainingData: item ${i} at ${k} out of range [0, ${d.nItems})`);
    if (!Number.isFinite(d.weights[k]!)) throw new Error(`TrainingData: weight at ${k} is not finite`);
  }
}

function incidence(d: TrainingData, keep: Uint8Array, nUsers: number, nItems: number): Incidence {
  const userPtr = new Int32Array(nUsers + 1);
  const itemPtr = new Int32Array(nItems + 1);
  for (let k = 0; k < keep.length; k++) {
    if (!keep[k]) continue;
    userPtr[d.users[k]! + 1]!++;
    itemPtr[d.items[k]! + 1]!++;
  }
  for (let u = 0; u < nUsers; u++) userPtr[u + 1]! += userPtr[u]!;
  for (let i = 0; i < nItems; i++) itemPtr[i + 1]! += itemPtr[i]!;
  const userItems = new Int32Array(userPtr[nUsers]!);
  const itemUsers = new Int32Array(itemPtr[nItems]!);
  const uFill = userPtr.slice(0, nUsers);
  const iFill = itemPtr.slice(0, nItems);
  for (let k = 0; k < keep.length; k++) {
    if (!keep[k]) continue;
    const u = d.users[k]!;
    const i = d.items[k]!;
    userItems[uFill[u]!++] = i;
    itemUsers[iFill[i]!++] = u;
  }
  return { userPtr, userItems, itemPtr, itemUsers };
}

/**
 * RP3β (Paudel et al. 2017; Dacrema et al. 2019): W_ij = Σ_u P(u|i)^α · P(j|u)^α / deg(j)^β,
 * a two-step random walk item → viewer → item with a popularity penalty,
 * keeping the `neighbours` largest entries of each row.
 */
async function rp3Graph(g: Incidence, nItems: number, p: ModelParams, progress: (i: number, of: number) => void): Promise<ItemGraph> {
  const nUsers = g.userPtr.length - 1;
  const userW = new Float64Array(nUsers);
  for (let u = 0; u < nUsers; u++) {
    const deg = g.userPtr[u + 1]! - g.userPtr[u]!;
    userW[u] = deg > 0 ? Math.pow(1 / deg, p.alpha) : 0;
  }
  const itemDeg = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) itemDeg[i] = g.itemPtr[i + 1]! - g.itemPtr[i]!;
  const colW = new Float64Array(nItems);
  for (let j = 0; j < nItems; j++) colW[j] = itemDeg[j]! > 0 ? 1 / Math.pow(itemDeg[j]!, p.beta) : 0;

  const acc = new Float64Array(nItems);
  const touched = new Int32Array(nItems);
  const seen = new Uint8Array(nItems);
  const cand = new Float64Array(nItems);
  const rowsIdx = new Array<Int32Array>(nItems);
  const rowsVal = new Array<Float32Array>(nItems);
  const K = p.neighbours;
  let last = performance.now();
  let total = 0;
  for (let i = 0; i < nItems; i++) {
    let nt = 0;
    const deg = itemDeg[i]!;
    if (deg > 0) {
      const rowW = Math.pow(1 / deg, p.alpha);
      for (let a = g.itemPtr[i]!; a < g.itemPtr[i + 1]!; a++) {
        const u = g.itemUsers[a]!;
        const w = userW[u]! * rowW;
        for (let b = g.userPtr[u]!; b < g.userPtr[u + 1]!; b++) {
          const j = g.userItems[b]!;
          if (!seen[j]) {
            seen[j] = 1;
            touched[nt++] = j;
          }
          acc[j]! += w;
        }
      }
    }
    // Final weights, drop self, keep the K largest.
    let nc = 0;
    for (let t = 0; t < nt; t++) {
      const j = touched[t]!;
      if (j !== i) cand[nc++] = acc[j]! * colW[j]!;
    }
    const threshold = nc > K ? kthLargest(cand, nc, K) : -Infinity;
    let kept = 0;
    const idx = new Int32Array(Math.min(nc, K));
    const val = new Float32Array(idx.length);
    // Entries equal to the threshold are taken in index order until K are kept.
    let above = 0;
    if (nc > K) for (let t = 0; t < nc; t++) if (cand[t]! > threshold) above++;
    let tiesLeft = K - above;
    const sortedTouched = touched.subarray(0, nt).sort();
    for (let t = 0; t < nt; t++) {
      const j = sortedTouched[t]!;
      if (j === i) continue;
      const v = acc[j]! * colW[j]!;
      if (v > threshold || (v === threshold && tiesLeft-- > 0)) {
        idx[kept] = j;
        val[kept] = v;
        kept++;
      }
    }
    for (let t = 0; t < nt; t++) {
      const j = touched[t]!;
      acc[j] = 0;
      seen[j] = 0;
    }
    rowsIdx[i] = idx.subarray(0, kept);
    rowsVal[i] = val.subarray(0, kept);
    total += kept;
    // Every 32 items (and at least every 20 ms) so the event loop is never starved.
    if ((i & 31) === 31 || performance.now() - last > 20) {
      progress(i + 1, nItems);
      await yieldToEventLoop();
      last = performance.now();
    }
  }
  progress(nItems, nItems);
  const indptr = new Int32Array(nItems + 1);
  const indices = new Int32Array(total);
  const values = new Float32Array(total);
  for (let i = 0; i < nItems; i++) {
    const o = indptr[i]!;
    indices.set(rowsIdx[i]!, o);
    values.set(rowsVal[i]!, o);
    indptr[i + 1] = o + rowsIdx[i]!.length;
  }
  return { indptr, indices, values };
}

/** The k-th largest of a[0..n) (k ≥ 1), by quickselect on a copy. */
export function kthLargest(a: Float64Array, n: number, k: number): number {
  const b = a.slice(0, n);
  let lo = 0;
  let hi = n - 1;
  const target = k - 1; // index in descending order
  while (lo < hi) {
    const pivot = b[(lo + hi) >>> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (b[i]! > pivot) i++;
      while (b[j]! < pivot) j--;
      if (i <= j) {
        const t = b[i]!;
        b[i] = b[j]!;
        b[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return b[target]!;
  }
  return b[target]!;
}

function meanAbs(a: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.abs(a[k]!);
  return a.length ? s / a.length : 0;
}
