import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { createDot4Kernel, type Dot4Kernel } from './dot4-kernel.js';

/**
 * In-place inverse of a dense symmetric positive-definite matrix (row-major
 * Float64Array, n×n), by Cholesky: A = L·Lᵀ, W = L⁻¹, A⁻¹ = Wᵀ·W.
 *
 * Every phase is written as dot products of contiguous rows, four rows
 * against one shared row at a time (Dot4Kernel: WebAssembly SIMD, or plain
 * JavaScript where that is unavailable or `simd: false`). Cost ≈ n³/2
 * multiply-adds; the matrix and L⁻¹ live in the kernel's memory (2·n² doubles).
 */
export function invertSpdInPlace(a: Float64Array, n: number, opts: { simd?: boolean } = {}): void {
  const { kernel, steps } = inverseSteps(a, n, opts);
  while (!steps.next().done);
  a.set(kernel.m.subarray(0, n * n));
}

/**
 * invertSpdInPlace, yielding to the event loop at least every `sliceMs` (between
 * blocks of four rows), so a process that fits EASE stays responsive.
 */
export async function invertSpdInPlaceYielding(a: Float64Array, n: number, opts: { simd?: boolean; sliceMs?: number } = {}): Promise<void> {
  const { kernel, steps } = inverseSteps(a, n, opts);
  const slice = opts.sliceMs ?? 20;
  let last = performance.now();
  while (!steps.next().done) {
    if (performance.now() - last > slice) {
      await yieldToEventLoop();
      last = performance.now();
    }
  }
  a.set(kernel.m.subarray(0, n * n));
}

function inverseSteps(a: Float64Array, n: number, opts: { simd?: boolean }): { kernel: Dot4Kernel; steps: Generator<void> } {
  if (a.length !== n * n) throw new Error(`invertSpdInPlace: expected ${n * n} values, got ${a.length}`);
  const kernel = createDot4Kernel(2 * n * n, opts.simd ?? true);
  kernel.m.set(a);
  function* steps(): Generator<void> {
    yield* choleskyLower(kernel, n);
    // Row j of wt (at offset n²) holds column j of W = L⁻¹ (non-zero for k ≥ j).
    yield* invertLowerTransposed(kernel, n);
    yield* gramOfUpperRows(kernel, n);
  }
  return { kernel, steps: steps() };
}

/** L with A = L·Lᵀ in the lower triangle of the matrix at offset 0 (the upper triangle is left as is). */
function* choleskyLower(kernel: Dot4Kernel, n: number): Generator<void> {
  const a = kernel.m;
  const out = new Float64Array(4);
  for (let i0 = 0; i0 < n; i0 += 4) {
    yield;
    const rows = Math.min(4, n - i0);
    if (rows === 4) {
      const r0 = i0 * n;
      for (let j = 0; j < i0; j++) {
        const rj = j * n;
        kernel.dot4(r0, r0 + n, r0 + 2 * n, r0 + 3 * n, rj, j, out);
        const d = a[rj + j]!;
        for (let t = 0; t < 4; t++) a[r0 + t * n + j] = (a[r0 + t * n + j]! - out[t]!) / d;
      }
    } else {
      for (let i = i0; i < n; i++) {
        const ri = i * n;
        for (let j = 0; j < i0; j++) {
          const rj = j * n;
          let s = a[ri + j]!;
          for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
          a[ri + j] = s / a[rj + j]!;
        }
      }
    }
    // The small triangle inside the block.
    for (let i = i0; i < i0 + rows; i++) {
      const ri = i * n;
      for (let j = i0; j <= i; j++) {
        const rj = j * n;
        let s = a[ri + j]!;
        for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
        if (i === j) {
          if (!(s > 0)) throw new Error(`matrix is not positive definite (pivot ${i}: ${s})`);
          a[ri + i] = Math.sqrt(s);
        } else {
          a[ri + j] = s / a[rj + j]!;
        }
      }
    }
  }
}

/** wt[j][i] = (L⁻¹)[i][j] for i ≥ j (wt at offset n²), given L in the lower triangle at offset 0. */
function* invertLowerTransposed(kernel: Dot4Kernel, n: number): Generator<void> {
  // Column j of W solves L·w = e_j: w_j = 1/L_jj, w_i = −(Σ_{k=j}^{i−1} L_ik·w_k)/L_ii.
  const m = kernel.m;
  const W = n * n;
  const out = new Float64Array(4);
  for (let j0 = 0; j0 < n; j0 += 4) {
    yield;
    const cols = Math.min(4, n - j0);
    // The triangle inside the block (rows i < j0 + cols), scalar.
    for (let t = 0; t < cols; t++) {
      const j = j0 + t;
      const cj = W + j * n;
      m[cj + j] = 1 / m[j * n + j]!;
      for (let i = j + 1; i < j0 + cols; i++) {
        const ri = i * n;
        let s = 0;
        for (let k = j; k < i; k++) s += m[ri + k]! * m[cj + k]!;
        m[cj + i] = -s / m[ri + i]!;
      }
    }
    const start = j0 + cols;
    for (let i = start; i < n; i++) {
      const ri = i * n;
      const d = m[ri + i]!;
      if (cols === 4) {
        const c0 = W + j0 * n;
        kernel.dot4(c0 + start, c0 + n + start, c0 + 2 * n + start, c0 + 3 * n + start, ri + start, i - start, out);
        for (let t = 0; t < 4; t++) {
          const ct = c0 + t * n;
          let s = out[t]!;
          // Leading terms k in [j0 + t, start).
          for (let k = j0 + t; k < start; k++) s += m[ri + k]! * m[ct + k]!;
          m[ct + i] = -s / d;
        }
      } else {
        for (let t = 0; t < cols; t++) {
          const ct = W + (j0 + t) * n;
          let s = 0;
          for (let k = j0 + t; k < i; k++) s += m[ri + k]! * m[ct + k]!;
          m[ct + i] = -s / d;
        }
      }
    }
  }
}

/** The matrix at offset 0 becomes Wᵀ·W (full symmetric), from wt at offset n². */
function* gramOfUpperRows(kernel: Dot4Kernel, n: number): Generator<void> {
  // out[i][j] = Σ_{k ≥ max(i,j)} wt[i][k]·wt[j][k], for j ≤ i, four rows i at a time.
  const m = kernel.m;
  const W = n * n;
  const out = new Float64Array(4);
  for (let i0 = 0; i0 < n; i0 += 4) {
    yield;
    const rows = Math.min(4, n - i0);
    const start = i0 + rows; // every k from here on is ≥ each i of the block
    for (let j = 0; j < start; j++) {
      const rj = W + j * n;
      if (rows === 4) {
        const r0 = W + i0 * n;
        kernel.dot4(r0 + start, r0 + n + start, r0 + 2 * n + start, r0 + 3 * n + start, rj + start, n - start, out);
      } else {
        out.fill(0);
        for (let t = 0; t < rows; t++) {
          const rt = W + (i0 + t) * n;
          let s = 0;
          for (let k = start; k < n; k++) s += m[rt + k]! * m[rj + k]!;
          out[t] = s;
        }
      }
      for (let t = 0; t < rows; t++) {
        const i = i0 + t;
        if (j > i) continue;
        const rt = W + i * n;
        let s = out[t]!;
        for (let k = i; k < start; k++) s += m[rt + k]! * m[rj + k]!;
        m[i * n + j] = s;
        m[j * n + i] = s;
      }
    }
  }
}
