import { invertSpdInPlace } from './spd-inverse.js';
import type { UserItems } from './split-loader.js';

/** Popularity: the number of distinct users with a positive on each item. */
export function popularityScores(positives: UserItems, nItems: number): Float32Array {
  const s = new Float32Array(nItems);
  for (const i of positives.items) s[i]!++;
  return s;
}

/**
 * EASE (Steck 2019) on the binary user × item positives matrix X:
 * B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, zero diagonal. Only items
 * with at least one positive take part (the others have zero rows and
 * columns in XᵀX, so their entries of B are zero anyway), which shrinks the
 * n³ inverse. Returns a scorer: a user's scores are x_u·B.
 */
export class EaseModel {
  private constructor(
    readonly nItems: number,
    /** Dense B over the active items only (row-major, active × active). */
    private readonly b: Float32Array,
    /** active index of each item, −1 for items with no positive. */
    private readonly activeOf: Int32Array,
    private readonly active: Int32Array,
  ) {}

  static fit(positives: UserItems, nItems: number, lambda: number): EaseModel {
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
    invertSpdInPlace(g, n);
    const b = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) b[i * n + j] = i === j ? 0 : -g[i * n + j]! / g[j * n + j]!;
    }
    return new EaseModel(nItems, b, activeOf, Int32Array.from(activeList));
  }

  /** Scores of every item for a user whose positive items are `history`. */
  score(history: ArrayLike<number>, out = new Float32Array(this.nItems)): Float32Array {
    out.fill(0);
    const n = this.active.length;
    const acc = new Float64Array(n);
    for (let h = 0; h < history.length; h++) {
      const a = this.activeOf[history[h]!]!;
      if (a < 0) continue;
      const row = a * n;
      for (let j = 0; j < n; j++) acc[j]! += this.b[row + j]!;
    }
    for (let j = 0; j < n; j++) out[this.active[j]!] = acc[j]!;
    return out;
  }
}
