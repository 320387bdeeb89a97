import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * The recommender: two sparse item-item graphs (RP3β random-walk
 * similarities, top-N neighbours per item) plus an item prior.
 *
 * - The *exposure graph* is built from every (viewer, item) the platform
 *   showed, engaged or not: "viewers who were shown this were shown that".
 *   Its scores are multiplied by each item's shrunk engagement rate.
 * - The *preference graph* is built from positives only: "viewers who liked
 *   this liked that". A negative event enters it with a negative sign, so a
 *   skip pushes the items co-liked with the skipped one down.
 *
 * A viewer is represented by folding their history into scores at request
 * time (a weighted sum of the neighbour rows of the items they interacted
 * with), so an event changes the very next ranking with no retraining.
 *
 * userVector() returns nItems + 1 floats: the personal score of every item,
 * then the coefficient of itemPrior to add (1 for an empty history, so such a
 * viewer is ranked by the prior).
 */

export interface ItemGraph {
  /** CSR: neighbours of item i are indices[indptr[i]..indptr[i+1]) with values. */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** The numbers that decide how a history is folded in (stored with the model). */
export interface FoldInParams {
  negativeExposure: number;
  preferenceWeight: number;
  negativePreference: number;
  priorWeight: number;
  positivePower: number;
}

export interface RecModelParts {
  nItems: number;
  itemPrior: Float32Array;
  /** Multiplier on the exposure graph's score of each item (engagement rate^γ). */
  itemScale: Float32Array;
  exposure: ItemGraph;
  preference: ItemGraph;
  foldIn: FoldInParams;
}

const MAGIC = 'CURTAREC';
const FORMAT_VERSION = 1;
const FOLD_IN_KEYS = ['negativeExposure', 'preferenceWeight', 'negativePreference', 'priorWeight', 'positivePower'] as const;

export class RecModel {
  readonly nItems: number;
  /** Score for a viewer with no history (popularity-like), one per item; also scoreAll's result for such a viewer. */
  readonly itemPrior: Float32Array;
  readonly itemScale: Float32Array;
  readonly exposure: ItemGraph;
  readonly preference: ItemGraph;
  readonly foldIn: Readonly<FoldInParams>;

  constructor(parts: RecModelParts, trustedGraphs?: RecModel) {
    // A variant of a model already validated shares its graphs and prior: only what differs is checked.
    if (
      trustedGraphs?.exposure === parts.exposure &&
      trustedGraphs.preference === parts.preference &&
      trustedGraphs.itemPrior === parts.itemPrior
    ) {
      validateVariant(parts);
    } else {
      validateParts(parts);
    }
    this.nItems = parts.nItems;
    this.itemPrior = parts.itemPrior;
    this.itemScale = parts.itemScale;
    this.exposure = parts.exposure;
    this.preference = parts.preference;
    this.foldIn = Object.freeze({ ...parts.foldIn });
  }

  /**
   * Fold-in of a viewer's (recent) history, one entry per item (the caller
   * aggregates repeated events): weight > 0 positive (larger = stronger),
   * < 0 negative. Items outside [0, nItems) (uploaded after training) and
   * non-finite or zero weights are ignored.
   */
  userVector(history: ReadonlyArray<{ item: number; weight: number }>): Float32Array {
    const n = this.nItems;
    // Accumulators reused across calls (synchronous, so never shared by two at once): two arrays of the model's size
    // per For You request were most of its garbage.
    const { exp, pref } = accumulators(n);
    const f = this.foldIn;
    let mass = 0;
    let used = 0;
    for (const { item, weight } of history) {
      if (!Number.isInteger(item) || item < 0 || item >= n || !Number.isFinite(weight) || weight === 0) continue;
      let x: number;
      let s: number;
      if (weight > 0) {
        x = Math.pow(weight, f.positivePower);
        s = f.preferenceWeight * x;
      } else {
        // Being shown is binary evidence of the viewer's interest space; how
        // strongly they rejected it is graded (a quick skip < a non-engaged view).
        x = f.negativeExposure;
        s = f.negativePreference * weight;
      }
      if (x === 0 && s === 0) continue;
      mass += Math.abs(x) + Math.abs(s);
      used++;
      if (x !== 0) addRow(this.exposure, item, x, exp);
      if (s !== 0) addRow(this.preference, item, s, pref);
    }
    const out = new Float32Array(n + 1);
    if (used === 0) {
      out[n] = 1;
      return out;
    }
    // Normalised by history mass so that the prior's share does not depend on history length.
    const norm = 1 / mass;
    const scale = this.itemScale;
    for (let j = 0; j < n; j++) out[j] = (exp[j]! * scale[j]! + pref[j]!) * norm;
    out[n] = f.priorWeight;
    return out;
  }

  /**
   * The same graphs and prior with other fold-in numbers and item scale (the
   * self-tuning search's candidates): shares the arrays, checks only what differs.
   */
  withFoldIn(foldIn: FoldInParams, itemScale: Float32Array): RecModel {
    return new RecModel(
      { nItems: this.nItems, itemPrior: this.itemPrior, itemScale, exposure: this.exposure, preference: this.preference, foldIn },
      this,
    );
  }

  /** Scores for every item for this viewer (higher = better): O(nItems). */
  scoreAll(user: Float32Array, out?: Float32Array): Float32Array {
    const n = this.nItems;
    if (user.length !== n + 1) throw new Error(`scoreAll: user vector has ${user.length} values, this model needs ${n + 1}`);
    const res = out ?? new Float32Array(n);
    if (res.length < n) throw new Error(`scoreAll: out has ${res.length} values, need ${n}`);
    const c = user[n]!;
    const prior = this.itemPrior;
    if (c === 0) res.set(user.subarray(0, n));
    else for (let j = 0; j < n; j++) res[j] = user[j]! + c * prior[j]!;
    return res;
  }

  /**
   * Layout (little-endian): "CURTAREC", u32 version, u32 nItems,
   * u32 count + f64 fold-in params, u32 nnzExposure, u32 nnzPreference,
   * then f32 itemPrior[n], f32 itemScale[n], and for each graph i32 indptr[n+1],
   * i32 indices[nnz], f32 values[nnz]; last a u32 CRC-32 of everything before it.
   */
  serialize(): Uint8Array {
    const n = this.nItems;
    const ex = this.exposure;
    const pr = this.preference;
    const nnzE = ex.indices.length;
    const nnzP = pr.indices.length;
    const header = 8 + 4 + 4 + 4 + FOLD_IN_KEYS.length * 8 + 4 + 4;
    const size = header + 8 * n + (4 * (n + 1) + 8 * nnzE) + (4 * (n + 1) + 8 * nnzP) + 4;
    const buf = new ArrayBuffer(size);
    const bytes = new Uint8Array(buf);
    const view = new DataView(buf);
    let o = 0;
    for (let k = 0; k < 8; k++) bytes[o++] = MAGIC.charCodeAt(k);
    view.setUint32(o, FORMAT_VERSION, true);
    o += 4;
    view.setUint32(o, n, true);
    o += 4;
    view.setUint32(o, FOLD_IN_KEYS.length, true);
    o += 4;
    for (const k of FOLD_IN_KEYS) {
      view.setFloat64(o, this.foldIn[k], true);
      o += 8;
    }
    view.setUint32(o, nnzE, true);
    o += 4;
    view.setUint32(o, nnzP, true);
    o += 4;
    const put = (a: Float32Array | Int32Array): void => {
      if (LITTLE_ENDIAN) {
        bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
        o += a.byteLength;
        return;
      }
      for (let k = 0; k < a.length; k++, o += 4) {
        if (a instanceof Float32Array) view.setFloat32(o, a[k]!, true);
        else view.setInt32(o, a[k]!, true);
      }
    };
    put(this.itemPrior);
    put(this.itemScale);
    for (const g of [ex, pr]) {
      put(g.indptr);
      put(g.indices);
      put(g.values);
    }
    view.setUint32(o, crc32(bytes.subarray(0, o)), true);
    return bytes;
  }

  static deserialize(bytes: Uint8Array): RecModel {
    const fail = (why: string): never => {
      throw new Error(`RecModel.deserialize: ${why}`);
    };
    if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
    if (bytes.length < 8 + 12) fail(`truncated (${bytes.length} bytes)`);
    for (let k = 0; k < 8; k++) if (bytes[k] !== MAGIC.charCodeAt(k)) fail('not a Curta recommender model (bad magic header)');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 8;
    const version = view.getUint32(o, true);
    if (version !== FORMAT_VERSION) fail(`unsupported format version ${version} (this build reads ${FORMAT_VERSION})`);
    o += 4;
    const n = view.getUint32(o, true);
    o += 4;
    const nParams = view.getUint32(o, true);
    o += 4;
    if (nParams !== FOLD_IN_KEYS.length) fail(`expected ${FOLD_IN_KEYS.length} fold-in parameters, found ${nParams}`);
    const need = (count: number): void => {
      if (o + count + 4 > bytes.length) fail(`truncated: needs more than ${bytes.length} bytes`);
    };
    need(nParams * 8 + 8);
    const foldIn = {} as FoldInParams;
    for (const k of FOLD_IN_KEYS) {
      foldIn[k] = view.getFloat64(o, true);
      o += 8;
    }
    const nnzE = view.getUint32(o, true);
    o += 4;
    const nnzP = view.getUint32(o, true);
    o += 4;
    const expected = o + 8 * n + (4 * (n + 1) + 8 * nnzE) + (4 * (n + 1) + 8 * nnzP) + 4;
    if (bytes.length < expected) fail(`truncated: ${bytes.length} bytes, header says ${expected}`);
    if (bytes.length > expected) fail(`${bytes.length - expected} unexpected trailing bytes`);
    const stored = view.getUint32(expected - 4, true);
    if (crc32(bytes.subarray(0, expected - 4)) !== stored) fail('checksum mismatch (corrupt data)');
    // Copies (never views): the input may be unaligned and may be reused by the caller.
    const f32 = (count: number): Float32Array => {
      const a = new Float32Array(count);
      if (LITTLE_ENDIAN) {
        new Uint8Array(a.buffer).set(bytes.subarray(o, o + 4 * count));
        o += 4 * count;
        return a;
      }
      for (let k = 0; k < count; k++, o += 4) a[k] = view.getFloat32(o, true);
      return a;
    };
    const i32 = (count: number): Int32Array => {
      const a = new Int32Array(count);
      if (LITTLE_ENDIAN) {
        new Uint8Array(a.buffer).set(bytes.subarray(o, o + 4 * count));
        o += 4 * count;
        return a;
      }
      for (let k = 0; k < count; k++, o += 4) a[k] = view.getInt32(o, true);
      return a;
    };
    const itemPrior = f32(n);
    const itemScale = f32(n);
    const graph = (nnz: number): ItemGraph => ({ indptr: i32(n + 1), indices: i32(nnz), values: f32(nnz) });
    const exposure = graph(nnzE);
    const preference = graph(nnzP);
    try {
      return new RecModel({ nItems: n, itemPrior, itemScale, exposure, preference, foldIn });
    } catch (e) {
      return fail((e as Error).message);
    }
  }
}

let scratch = { exp: new Float64Array(0), pref: new Float64Array(0) };

/** Zeroed accumulators of at least `n` values (the first `n` are zero), shared by every model in the process. */
function accumulators(n: number): { exp: Float64Array; pref: Float64Array } {
  if (scratch.exp.length < n) scratch = { exp: new Float64Array(n), pref: new Float64Array(n) };
  else {
    scratch.exp.fill(0, 0, n);
    scratch.pref.fill(0, 0, n);
  }
  return scratch;
}

function addRow(g: ItemGraph, item: number, x: number, acc: Float64Array): void {
  const end = g.indptr[item + 1]!;
  const idx = g.indices;
  const val = g.values;
  for (let p = g.indptr[item]!; p < end; p++) acc[idx[p]!]! += x * val[p]!;
}

function validateParts(p: RecModelParts): void {
  const n = p.nItems;
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid nItems ${n}`);
  if (p.itemPrior.length !== n) throw new Error(`itemPrior has ${p.itemPrior.length} values, expected ${n}`);
  if (p.itemScale.length !== n) throw new Error(`itemScale has ${p.itemScale.length} values, expected ${n}`);
  for (const a of [p.itemPrior, p.itemScale]) if (!allFinite(a)) throw new Error('non-finite item value');
  for (const [name, g] of [
    ['exposure', p.exposure],
    ['preference', p.preference],
  ] as const) {
    if (g.indptr.length !== n + 1 || g.indptr[0] !== 0) throw new Error(`${name} graph: bad indptr`);
    const nnz = g.indices.length;
    if (g.values.length !== nnz || g.indptr[n] !== nnz)
      throw new Error(`${name} graph: ${nnz} indices, ${g.values.length} values, indptr ends at ${g.indptr[n]}`);
    for (let i = 0; i < n; i++) if (g.indptr[i + 1]! < g.indptr[i]!) throw new Error(`${name} graph: indptr decreases at ${i}`);
    const idx = g.indices;
    for (let k = 0; k < idx.length; k++) {
      const j = idx[k]!;
      if (j < 0 || j >= n) throw new Error(`${name} graph: neighbour ${j} out of range`);
    }
    if (!allFinite(g.values)) throw new Error(`${name} graph: non-finite weight`);
  }
  for (const k of FOLD_IN_KEYS) if (!Number.isFinite(p.foldIn[k])) throw new Error(`fold-in parameter ${k} is not finite`);
}

function validateVariant(p: RecModelParts): void {
  if (p.itemScale.length !== p.nItems) throw new Error(`itemScale has ${p.itemScale.length} values, expected ${p.nItems}`);
  if (!allFinite(p.itemScale)) throw new Error('non-finite item value');
  for (const k of FOLD_IN_KEYS) if (!Number.isFinite(p.foldIn[k])) throw new Error(`fold-in parameter ${k} is not finite`);
}

function allFinite(a: Float32Array): boolean {
  for (let k = 0; k < a.length; k++) {
    const v = a[k]!;
    // v - v is 0 for finite numbers and NaN for ±Infinity and NaN.
    if (v - v !== 0) return false;
  }
  return true;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** CRC-32 (IEEE), to reject corrupt artifacts rather than serve garbage (zlib's, in every Node this project supports). */
export function crc32(data: Uint8Array): number {
  return zlibCrc32(data) >>> 0;
}
