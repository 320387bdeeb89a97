/**
 * The hot loop of the dense SPD inverse: four dot products of four rows
 * against one shared row, over the same index range,
 *   out[t] = Σ_{k<len} m[r_t + k] · m[s + k],  t = 0..3,
 * on one Float64Array `m` (element offsets). Each element of the shared row
 * feeds four multiply-adds, so the loop is bound by arithmetic, not memory.
 *
 * Two implementations: WebAssembly with 128-bit SIMD (two doubles per
 * instruction; Node has it on by default), assembled below from a few
 * opcodes, and plain JavaScript as the fallback. Both read the same memory.
 */

export interface Dot4Kernel {
  /** Matrix storage (a view of the kernel's memory when it is WebAssembly). */
  readonly m: Float64Array;
  readonly simd: boolean;
  /** Results land in out[0..3]. */
  dot4(r0: number, r1: number, r2: number, r3: number, s: number, len: number, out: Float64Array): void;
}

/** A kernel whose memory holds `elements` doubles (plus 4 of scratch space). */
export function createDot4Kernel(elements: number, preferSimd = true): Dot4Kernel {
  if (preferSimd) {
    const k = createWasmKernel(elements);
    if (k) return k;
  }
  return createJsKernel(elements);
}

function createJsKernel(elements: number): Dot4Kernel {
  const m = new Float64Array(elements);
  return {
    m,
    simd: false,
    dot4(r0, r1, r2, r3, s, len, out) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < len; k++) {
        const v = m[s + k]!;
        s0 += m[r0 + k]! * v;
        s1 += m[r1 + k]! * v;
        s2 += m[r2 + k]! * v;
        s3 += m[r3 + k]! * v;
      }
      out[0] = s0;
      out[1] = s1;
      out[2] = s2;
      out[3] = s3;
    },
  };
}

// ---- WebAssembly -------------------------------------------------------

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, depth],
  get: (i: number) => [0x20, i],
  set: (i: number) => [0x21, i],
  tee: (i: number) => [0x22, i],
  i32Const: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32LtU: [0x49],
  i32GeU: [0x4f],
  f64Add: [0xa0],
  f64Store: (offset: number) => [0x39, 0x03, ...uleb(offset)],
  v128Load: [0xfd, ...uleb(0x00), 0x03, 0x00],
  f64x2Add: [0xfd, ...uleb(0xf0)],
  f64x2Mul: [0xfd, ...uleb(0xf2)],
  f64x2ExtractLane: (lane: number) => [0xfd, ...uleb(0x21), lane],
};

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => {
  const utf8 = new TextEncoder().encode(s);
  return [...uleb(utf8.length), ...utf8];
};

/**
 * (func (export "dot4") (param r0 r1 r2 r3 s len out i32)
 *   ;; element offsets → byte addresses, then two doubles per step
 *   ;; (len must be even; the caller does an odd last element)
 *   acc_t += v128.load(r_t) * v128.load(s) ...; out[t] = lane0(acc_t) + lane1(acc_t))
 */
function dot4Module(): Uint8Array<ArrayBuffer> {
  // params 0..6: r0 r1 r2 r3 s len out; locals 7..10: acc (v128), 11: shared (v128), 12: end (i32)
  const body: number[] = [];
  for (const p of [0, 1, 2, 3, 4, 6]) body.push(...op.get(p), ...op.i32Const(3), ...op.i32Shl, ...op.set(p));
  body.push(...op.get(4), ...op.get(5), ...op.i32Const(3), ...op.i32Shl, ...op.i32Add, ...op.set(12));
  body.push(...op.block, ...op.get(4), ...op.get(12), ...op.i32GeU, ...op.brIf(0), ...op.loop);
  body.push(...op.get(4), ...op.v128Load, ...op.set(11));
  for (let t = 0; t < 4; t++) {
    body.push(...op.get(7 + t), ...op.get(t), ...op.v128Load, ...op.get(11), ...op.f64x2Mul, ...op.f64x2Add, ...op.set(7 + t));
  }
  for (let t = 0; t < 4; t++) body.push(...op.get(t), ...op.i32Const(16), ...op.i32Add, ...op.set(t));
  body.push(...op.get(4), ...op.i32Const(16), ...op.i32Add, ...op.tee(4), ...op.get(12), ...op.i32LtU, ...op.brIf(0));
  body.push(...op.end, ...op.end);
  for (let t = 0; t < 4; t++) {
    body.push(
      ...op.get(6),
      ...op.get(7 + t),
      ...op.f64x2ExtractLane(0),
      ...op.get(7 + t),
      ...op.f64x2ExtractLane(1),
      ...op.f64Add,
      ...op.f64Store(8 * t),
    );
  }
  body.push(...op.end);
  const locals = [2, 5, V128, 1, I32];
  const func = [...locals, ...body];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 7, ...new Array<number>(7).fill(I32), 0]),
    ...section(2, [1, ...name('env'), ...name('mem'), 0x02, 0x00, 0x01]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('dot4'), 0x00, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ];
  return new Uint8Array(bytes);
}

let compiled: WebAssembly.Module | null | undefined;

function createWasmKernel(elements: number): Dot4Kernel | null {
  if (compiled === undefined) {
    try {
      const bytes = dot4Module();
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  if (!compiled) return null;
  const bytesNeeded = (elements + 4) * 8;
  if (bytesNeeded > 2 ** 31) return null; // i32 byte addresses
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytesNeeded / 65536) });
  const instance = new WebAssembly.Instance(compiled, { env: { mem: memory } });
  const fn = instance.exports['dot4'] as (r0: number, r1: number, r2: number, r3: number, s: number, len: number, out: number) => void;
  const m = new Float64Array(memory.buffer, 0, elements + 4);
  const outAt = elements;
  return {
    m: m.subarray(0, elements),
    simd: true,
    dot4(r0, r1, r2, r3, s, len, out) {
      const even = len & ~1;
      fn(r0, r1, r2, r3, s, even, outAt);
      let s0 = m[outAt]!;
      let s1 = m[outAt + 1]!;
      let s2 = m[outAt + 2]!;
      let s3 = m[outAt + 3]!;
      if (even !== len) {
        const k = len - 1;
        const v = m[s + k]!;
        s0 += m[r0 + k]! * v;
        s1 += m[r1 + k]! * v;
        s2 += m[r2 + k]! * v;
        s3 += m[r3 + k]! * v;
      }
      out[0] = s0;
      out[1] = s1;
      out[2] = s2;
      out[3] = s3;
    },
  };
}
