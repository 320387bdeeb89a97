import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/adapters/queue/db-job-queue.js';

describe('retryDelayMs', () => {
  const opts = { baseMs: 1000, maxMs: 60_000, jitter: 0 };

  it('doubles per attempt from the base, up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, opts))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(10, opts)).toBe(60_000);
    expect(retryDelayMs(1000, opts)).toBe(60_000);
  });

  it('randomises the jitter fraction of the delay', () => {
    const half = { ...opts, jitter: 0.5 };
    expect(retryDelayMs(3, half, () => 0)).toBe(2000);
    expect(retryDelayMs(3, half, () => 0.999999)).toBe(4000);
    expect(retryDelayMs(3, { ...opts, jitter: 1 }, () => 0)).toBe(0);
  });
});
