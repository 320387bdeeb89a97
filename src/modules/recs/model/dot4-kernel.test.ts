import { describe, expect, it } from 'vitest';
import { createDot4Kernel } from './dot4-kernel.js';

describe('Dot4Kernel', () => {
  it('the WebAssembly SIMD kernel is available on every supported Node (22+)', () => {
    expect(createDot4Kernel(8).simd).toBe(true);
    expect(createDot4Kernel(8, false).simd).toBe(false);
  });

  it.each([0, 1, 2, 7, 64, 101])('both kernels compute the four dot products (length %i)', (len) => {
    for (const simd of [true, false]) {
      const k = createDot4Kernel(5 * 128, simd);
      for (let i = 0; i < k.m.length; i++) k.m[i] = Math.sin(i * 0.7) * (1 + (i % 5));
      const rows = [3, 130, 257, 384];
      const s = 515;
      const out = new Float64Array(4);
      k.dot4(rows[0]!, rows[1]!, rows[2]!, rows[3]!, s, len, out);
      for (let t = 0; t < 4; t++) {
        let want = 0;
        for (let x = 0; x < len; x++) want += k.m[rows[t]! + x]! * k.m[s + x]!;
        expect(out[t]).toBeCloseTo(want, 10);
      }
    }
  });
});
