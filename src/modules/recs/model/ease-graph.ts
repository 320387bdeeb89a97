import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { DEFAULT_MODEL_PARAMS } from './params.js';
import { RecModel, type FoldInParams, type ItemGraph } from './rec-model.js';
import { invertSpdInPlace, invertSpdInPlaceYielding } from './spd-inverse.js';
import { kthLargest, type TrainingData, type TrainProgress } from './train.js';

/** Distinct items per user (CSR): a user's items are items[indptr[u]..indptr[u+1]). */
export interface PositivesByUser {
  indptr: Int32Array;
  items: Int32Array;
}

/** Dense EASE weights over the items with at least one positive. */
export interface EaseWeights {
  nItems: number;
  /** B over the active items only (row-major, active × active, zero diagonal). */
  b: Float32Array;
  /** Active index of each item, −1 for items with no positive. */
  activeOf: Int32Array;
  /** The item of each active index. */
  active: Int32Array;
}

/** What an EASE-graph model is fitted with. */
export interface EaseSetting {
  /** L2 penalty on B (Steck 2019). */
  lambda: number;
  /** Entries kept per item (largest |B_ij|), as the RP3β graphs keep their top neighbours. */
  neighbours: number;
}

/**
 * EASE (Steck 2019) on the binary user × item positives matrix X:
 * B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, zero diagonal. Only items
 * with at least one positive take part (the others have zero rows and columns
 * in XᵀX, so their entries of B are zero anyway), which shrinks the n³
 * inverse. Cost ≈ active³/2 multiply-adds (CPU on the development machine,
 * load average 8: 7.7 s at 3,300 items, 17 s at 4,373, 24 s at 5,000),
 * memory 2·active² doubles.
 */
export function easeWeights(positives: PositivesByUser, nItems: number, lambda: number): EaseWeights {
  const { g, n, activeOf, active } = easeGram(positives, nItems, lambda);
  if (n > 0) invertSpdInPlace(g, n);
  return easeFromInverse(g, n, nItems, activeOf, active);
}

/** easeWeights, yielding to the event loop during the inverse (training runs share a worker process with other jobs). */
export async function easeWeightsYielding(positives: PositivesByUser, nItems: number, lambda: number): Promise<EaseWeights> {
  const { g, n, activeOf, active } = easeGram(positives, nItems, lambda);
  if (n > 0) await invertSpdInPlaceYielding(g, n);
  return easeFromInverse(g, n, nItems, activeOf, active);
}

/** XᵀX + λI over the active items. */
function easeGram(
  positives: PositivesByUser,
  nItems: number,
  lambda: number,
): { g: Float64Array; n: number; activeOf: Int32Array; active: Int32Array } {
  if (!(lambda > 0)) throw new Error(`EASE: lambda must be > 0, got ${lambda}`);
  const activeOf = new Int32Array(nItems).fill(-1);
  const activeList: number[] = [];
  for (const i of positives.items) if (activeOf[i] === -1) activeOf[i] = 0;
  for (let i = 0; i < nItems; i++) if (activeOf[i] === 0) activeOf[i] = activeList.push(i) - 1;
  const n = activeList.length;
  const g = new Float64Array(n * n);
  const nUsers = positives.indptr.length - 1;
  for (let u = 0; u < nUsers; u++) {
    const a = positives.indptr[u]!;
    const e = positives.indptr[u + 1]!;
    for (let x = a; x < e; x++) {
      const row = activeOf[positives.items[x]!]! * n;
      for (let y = a; y < e; y++) g[row + activeOf[positives.items[y]!]!]!++;
    }
  }
  for (let i = 0; i < n; i++) g[i * n + i]! += lambda;
  return { g, n, activeOf, active: Int32Array.from(activeList) };
}

/** B = I − P·diag(1/diag P) from P = (XᵀX + λI)⁻¹, zero diagonal. */
function easeFromInverse(g: Float64Array, n: number, nItems: number, activeOf: Int32Array, active: Int32Array): EaseWeights {
  const b = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) b[i * n + j] = i === j ? 0 : -g[i * n + j]! / g[j * n + j]!;
  }
  return { nItems, b, activeOf, active };
}

/** Distinct positive items per user of a training history (weight > 0). */
export function positivesByUser(data: TrainingData): PositivesByUser {
  const indptr = new Int32Array(data.nUsers + 1);
  for (let k = 0; k < data.users.length; k++) if (data.weights[k]! > 0) indptr[data.users[k]! + 1]!++;
  for (let u = 0; u < data.nUsers; u++) indptr[u + 1]! += indptr[u]!;
  const fill = indptr.slice(0, data.nUsers);
  const raw = new Int32Array(indptr[data.nUsers]!);
  for (let k = 0; k < data.users.length; k++) if (data.weights[k]! > 0) raw[fill[data.users[k]!]!++] = data.items[k]!;
  // Deduplicate within each user (the trainer's pairs are distinct already; a split's lines may repeat).
  const out = new Int32Array(raw.length);
  const ptr = new Int32Array(data.nUsers + 1);
  let o = 0;
  for (let u = 0; u < data.nUsers; u++) {
    const row = raw.subarray(indptr[u], indptr[u + 1]).sort();
    for (let t = 0; t < row.length; t++) if (t === 0 || row[t] !== row[t - 1]) out[o++] = row[t]!;
    ptr[u + 1] = o;
  }
  return { indptr: ptr, items: out.slice(0, o) };
}

/**
 * B as an item-item graph (CSR over all items): each row keeps its
 * `neighbours` entries of largest |B_ij| (ties in index order), so a viewer's
 * scores Σ_{i ∈ history} row(i) are EASE's x_u·B, exactly when neighbours ≥
 * the active items − 1 and approximately otherwise.
 */
export function easeGraph(w: EaseWeights, neighbours: number): ItemGraph {
  if (!Number.isInteger(neighbours) || neighbours < 1)
    throw new Error(`easeGraph: neighbours must be a positive integer, got ${neighbours}`);
  const n = w.active.length;
  const K = Math.min(neighbours, Math.max(n - 1, 0));
  const indptr = new Int32Array(w.nItems + 1);
  for (let a = 0; a < n; a++) indptr[w.active[a]! + 1] = K;
  for (let i = 0; i < w.nItems; i++) indptr[i + 1]! += indptr[i]!;
  const indices = new Int32Array(indptr[w.nItems]!);
  const values = new Float32Array(indices.length);
  const abs = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    const row = a * n;
    let nc = 0;
    for (let c = 0; c < n; c++) if (c !== a) abs[nc++] = Math.abs(w.b[row + c]!);
    const threshold = nc > K ? kthLargest(abs, nc, K) : -Infinity;
    let above = 0;
    if (nc > K) for (let t = 0; t < nc; t++) if (abs[t]! > threshold) above++;
    let tiesLeft = K - above;
    // Active indices are in item order, so each row's neighbours come out sorted by item.
    let o = indptr[w.active[a]!]!;
    for (let c = 0; c < n; c++) {
      if (c === a) continue;
      const v = w.b[row + c]!;
      const m = Math.abs(v);
      if (m > threshold || (m === threshold && tiesLeft-- > 0)) {
        indices[o] = w.active[c]!;
        values[o] = v;
        o++;
      }
    }
  }
  return { indptr, indices, values };
}

/** How an EASE-graph model folds a history in: positives binary (EASE's X), negatives ignored unless pushed. */
export function easeFoldIn(negativePreference = 0): FoldInParams {
  return {
    negativeExposure: 0,
    preferenceWeight: 1,
    negativePreference,
    priorWeight: DEFAULT_MODEL_PARAMS.priorWeight,
    positivePower: 0,
  };
}

/**
 * EASE as a RecModel: its preference graph is B pruned to the top
 * `neighbours` entries per item, its exposure graph empty, positives fold in
 * as 1 (positivePower 0), so userVector + scoreAll rank as x_u·B does; the
 * prior (viewers with a positive, relative to the most engaged item) is the
 * same as trainModel's, so the served blend and the empty-history fallback
 * behave as with the RP3β model. Served, stored and serialized like any RecModel.
 */
export async function trainEaseModel(
  data: TrainingData,
  setting: EaseSetting,
  onProgress?: (p: TrainProgress) => void,
  negativePreference = 0,
): Promise<RecModel> {
  const { nItems } = data;
  onProgress?.({ phase: `EASE λ=${setting.lambda}`, iteration: 0, of: 1 });
  await yieldToEventLoop();
  const positives = positivesByUser(data);
  const w = await easeWeightsYielding(positives, nItems, setting.lambda);
  const preference = easeGraph(w, setting.neighbours);
  const posCount = new Float64Array(nItems);
  for (const i of positives.items) posCount[i]!++;
  let maxPos = 0;
  for (let i = 0; i < nItems; i++) if (posCount[i]! > maxPos) maxPos = posCount[i]!;
  const itemPrior = new Float32Array(nItems);
  for (let i = 0; i < nItems; i++) itemPrior[i] = maxPos > 0 ? posCount[i]! / maxPos : 0;
  onProgress?.({ phase: `EASE λ=${setting.lambda}`, iteration: 1, of: 1 });
  return new RecModel({
    nItems,
    itemPrior,
    itemScale: new Float32Array(nItems).fill(1),
    exposure: { indptr: new Int32Array(nItems + 1), indices: new Int32Array(0), values: new Float32Array(0) },
    preference,
    foldIn: easeFoldIn(negativePreference),
  });
}
