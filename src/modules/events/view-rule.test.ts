import { describe, expect, it } from 'vitest';
import { clampClientTime, qualifiesAsView, viewPeriod, viewThresholdMs } from './view-rule.js';

describe('view rule', () => {
  it('needs 2 s, or half of a video shorter than 4 s', () => {
    expect(viewThresholdMs(null)).toBe(2000);
    expect(viewThresholdMs(60_000)).toBe(2000);
    expect(viewThresholdMs(3000)).toBe(1500);
    expect(qualifiesAsView({ type: 'progress', watchedMs: 1999 }, 60_000)).toBe(false);
    expect(qualifiesAsView({ type: 'progress', watchedMs: 2000 }, 60_000)).toBe(true);
    expect(qualifiesAsView({ type: 'skip', watchedMs: 1500 }, 3000)).toBe(true);
    expect(qualifiesAsView({ type: 'progress' }, 3000)).toBe(false);
  });

  it('counts a complete, never an impression or a play', () => {
    expect(qualifiesAsView({ type: 'complete' }, 60_000)).toBe(true);
    expect(qualifiesAsView({ type: 'impression', watchedMs: 99_000 }, 60_000)).toBe(false);
    expect(qualifiesAsView({ type: 'play', watchedMs: 99_000 }, 60_000)).toBe(false);
  });

  it('buckets by UTC day and clamps client time to the last 24 h', () => {
    expect(viewPeriod(new Date('1970-01-02T00:00:00Z'))).toBe(1);
    expect(viewPeriod(new Date('1970-01-01T23:59:59.999Z'))).toBe(0);
    const now = new Date('2026-01-10T12:00:00Z');
    expect(clampClientTime(new Date('2030-01-01T00:00:00Z'), now)).toEqual(now);
    expect(clampClientTime(new Date('2000-01-01T00:00:00Z'), now)).toEqual(new Date('2026-01-09T12:00:00Z'));
    expect(clampClientTime(new Date('2026-01-10T11:00:00Z'), now)).toEqual(new Date('2026-01-10T11:00:00Z'));
    expect(clampClientTime(undefined, now)).toEqual(now);
  });
});
