/**
 * In-place inverse of a dense symmetric positive-definite matrix (row-major
 * Float64Array, n×n), by Cholesky: A = L·Lᵀ, W = L⁻¹, A⁻¹ = Wᵀ·W.
 *
 * Every phase is written as dot products of contiguous rows, and the hot
 * loops handle four rows against one streamed row at a time (each element of
 * the streamed row feeds four multiply-adds), which is what makes plain
 * JavaScript reach a useful speed on the n≈4,000 Gram matrices of EASE.
 * Cost ≈ n³/2 multiply-adds.
 */
export function invertSpdInPlace(a: Float64Array, n: number): void {
  if (a.length !== n * n) throw new Error(`invertSpdInPlace: expected ${n * n} values, got ${a.length}`);
  choleskyLowerInPlace(a, n);
  // wt: row j holds column j of W = L⁻¹ (upper triangle of wt, k ≥ j).
  const wt = new Float64Array(n * n);
  invertLowerTransposed(a, wt, n);
  gramOfUpperRows(wt, a, n);
}

/** L with A = L·Lᵀ in the lower triangle of `a` (the upper triangle is left as is). */
export function choleskyLowerInPlace(a: Float64Array, n: number): void {
  let i0 = 0;
  for (; i0 < n; i0 += 4) {
    const rows = Math.min(4, n - i0);
    const r0 = i0 * n;
    const r1 = (i0 + 1) * n;
    const r2 = (i0 + 2) * n;
    const r3 = (i0 + 3) * n;
    // Columns j < i0: 4 rows of the block against row j.
    for (let j = 0; j < i0; j++) {
      const rj = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      if (rows === 4) {
        for (let k = 0; k < j; k++) {
          const l = a[rj + k]!;
          s0 += a[r0 + k]! * l;
          s1 += a[r1 + k]! * l;
          s2 += a[r2 + k]! * l;
          s3 += a[r3 + k]! * l;
        }
      } else {
        for (let k = 0; k < j; k++) {
          const l = a[rj + k]!;
          s0 += a[r0 + k]! * l;
          if (rows > 1) s1 += a[r1 + k]! * l;
          if (rows > 2) s2 += a[r2 + k]! * l;
        }
      }
      const d = a[rj + j]!;
      a[r0 + j] = (a[r0 + j]! - s0) / d;
      if (rows > 1) a[r1 + j] = (a[r1 + j]! - s1) / d;
      if (rows > 2) a[r2 + j] = (a[r2 + j]! - s2) / d;
      if (rows > 3) a[r3 + j] = (a[r3 + j]! - s3) / d;
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

/** wt[j][i] = (L⁻¹)[i][j] for i ≥ j, given L in the lower triangle of `l`. */
function invertLowerTransposed(l: Float64Array, wt: Float64Array, n: number): void {
  // Column j of W solves L·w = e_j: w_j = 1/L_jj, w_i = −(Σ_{k=j}^{i−1} L_ik·w_k)/L_ii.
  // Four columns at a time share each streamed row L_i.
  for (let j0 = 0; j0 < n; j0 += 4) {
    const cols = Math.min(4, n - j0);
    const c0 = j0 * n;
    const c1 = (j0 + 1) * n;
    const c2 = (j0 + 2) * n;
    const c3 = (j0 + 3) * n;
    // The triangle inside the block (rows i < j0 + cols), scalar.
    for (let t = 0; t < cols; t++) {
      const j = j0 + t;
      const cj = j * n;
      wt[cj + j] = 1 / l[j * n + j]!;
      for (let i = j + 1; i < j0 + cols; i++) {
        const ri = i * n;
        let s = 0;
        for (let k = j; k < i; k++) s += l[ri + k]! * wt[cj + k]!;
        wt[cj + i] = -s / l[ri + i]!;
      }
    }
    for (let i = j0 + cols; i < n; i++) {
      const ri = i * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      // Leading terms where only some columns are non-zero (k < j0 + 3).
      for (let k = j0; k < j0 + cols && k < i; k++) {
        const lk = l[ri + k]!;
        s0 += lk * wt[c0 + k]!;
        if (cols > 1 && k >= j0 + 1) s1 += lk * wt[c1 + k]!;
        if (cols > 2 && k >= j0 + 2) s2 += lk * wt[c2 + k]!;
        if (cols > 3 && k >= j0 + 3) s3 += lk * wt[c3 + k]!;
      }
      if (cols === 4) {
        for (let k = j0 + 4; k < i; k++) {
          const lk = l[ri + k]!;
          s0 += lk * wt[c0 + k]!;
          s1 += lk * wt[c1 + k]!;
          s2 += lk * wt[c2 + k]!;
          s3 += lk * wt[c3 + k]!;
        }
      } else {
        for (let k = j0 + cols; k < i; k++) {
          const lk = l[ri + k]!;
          s0 += lk * wt[c0 + k]!;
          if (cols > 1) s1 += lk * wt[c1 + k]!;
          if (cols > 2) s2 += lk * wt[c2 + k]!;
        }
      }
      const d = l[ri + i]!;
      wt[c0 + i] = -s0 / d;
      if (cols > 1) wt[c1 + i] = -s1 / d;
      if (cols > 2) wt[c2 + i] = -s2 / d;
      if (cols > 3) wt[c3 + i] = -s3 / d;
    }
  }
}

/** out = Wᵀ·W (full symmetric), where row j of wt is column j of W (non-zero for k ≥ j). */
function gramOfUpperRows(wt: Float64Array, out: Float64Array, n: number): void {
  // out[i][j] = Σ_{k ≥ max(i,j)} wt[i][k]·wt[j][k]. Four rows i against one row j ≤ i.
  for (let i0 = 0; i0 < n; i0 += 4) {
    const rows = Math.min(4, n - i0);
    const r0 = i0 * n;
    const r1 = (i0 + 1) * n;
    const r2 = (i0 + 2) * n;
    const r3 = (i0 + 3) * n;
    const start = i0 + rows; // k from here on is ≥ every i in the block
    for (let j = 0; j < i0 + rows; j++) {
      const rj = j * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      // k in [max(i,j), start): per-row lower bounds.
      for (let k = Math.max(i0, j); k < start; k++) {
        const w = wt[rj + k]!;
        if (k >= i0) s0 += wt[r0 + k]! * w;
        if (rows > 1 && k >= i0 + 1) s1 += wt[r1 + k]! * w;
        if (rows > 2 && k >= i0 + 2) s2 += wt[r2 + k]! * w;
        if (rows > 3 && k >= i0 + 3) s3 += wt[r3 + k]! * w;
      }
      if (rows === 4) {
        for (let k = start; k < n; k++) {
          const w = wt[rj + k]!;
          s0 += wt[r0 + k]! * w;
          s1 += wt[r1 + k]! * w;
          s2 += wt[r2 + k]! * w;
          s3 += wt[r3 + k]! * w;
        }
      } else {
        for (let k = start; k < n; k++) {
          const w = wt[rj + k]!;
          s0 += wt[r0 + k]! * w;
          if (rows > 1) s1 += wt[r1 + k]! * w;
          if (rows > 2) s2 += wt[r2 + k]! * w;
        }
      }
      // j ≤ i only; the block's own triangle is filled with j ≤ i as well.
      if (j <= i0) {
        out[r0 + j] = s0;
        out[rj + i0] = s0;
      }
      if (rows > 1 && j <= i0 + 1) {
        out[r1 + j] = s1;
        out[rj + i0 + 1] = s1;
      }
      if (rows > 2 && j <= i0 + 2) {
        out[r2 + j] = s2;
        out[rj + i0 + 2] = s2;
      }
      if (rows > 3 && j <= i0 + 3) {
        out[r3 + j] = s3;
        out[rj + i0 + 3] = s3;
      }
    }
  }
}
