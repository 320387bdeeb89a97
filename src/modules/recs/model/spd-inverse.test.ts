import { describe, expect, it } from 'vitest';
import { invertSpdInPlace, invertSpdInPlaceYielding } from './spd-inverse.js';

function randomSpd(n: number, seed: number): Float64Array {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const m = Float64Array.from({ length: n * n }, rnd);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (let k = 0; k < n; k++) v += m[i * n + k]! * m[j * n + k]!;
      a[i * n + j] = v + (i === j ? 0.5 : 0);
    }
  }
  return a;
}

describe('invertSpdInPlace', () => {
  // Sizes around the 4-row blocking: remainders 0..3.
  const cases = [1, 2, 3, 4, 5, 7, 8, 13, 30, 33].flatMap((n) => [true, false].map((simd) => [n, simd] as const));
  it.each(cases)('inverts a random %i×%i SPD matrix (SIMD kernel: %s)', (n, simd) => {
    const a = randomSpd(n, n + 1);
    const inv = a.slice();
    invertSpdInPlace(inv, n, { simd });
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < n; k++) v += a[i * n + k]! * inv[k * n + j]!;
        expect(v).toBeCloseTo(i === j ? 1 : 0, 8);
        expect(inv[i * n + j]).toBe(inv[j * n + i]);
      }
    }
  });

  it('rejects a matrix that is not positive definite', () => {
    expect(() => invertSpdInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
    expect(() => invertSpdInPlace(new Float64Array(3), 2)).toThrow(/expected 4 values/);
  });

  it('gives the same inverse when it yields to the event loop between row blocks', async () => {
    const n = 33;
    const a = randomSpd(n, 5);
    const sync = a.slice();
    invertSpdInPlace(sync, n);
    const yielding = a.slice();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await invertSpdInPlaceYielding(yielding, n, { sliceMs: 0 });
    clearInterval(timer);
    expect([...yielding]).toEqual([...sync]);
    expect(ticks).toBeGreaterThan(0);
  });
});
