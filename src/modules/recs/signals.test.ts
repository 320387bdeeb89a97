import { describe, expect, it } from 'vitest';
import { signalWeight, type PairSignals } from './signals.js';

const base: PairSignals = {
  impressions: 1,
  completes: 0,
  skips: 0,
  watchedMs: 0,
  durationMs: 10_000,
  liked: false,
  shared: false,
  commented: false,
  followsAuthor: false,
};

describe('signalWeight', () => {
  it('a bare impression is neutral', () => expect(signalWeight(base)).toBe(0));
  it('orders the positive signals: rewatch > complete > mostly watched > nothing', () => {
    const mostly = signalWeight({ ...base, watchedMs: 6000 });
    const complete = signalWeight({ ...base, completes: 1, watchedMs: 10_000 });
    const rewatched = signalWeight({ ...base, completes: 3, watchedMs: 10_000 });
    expect(mostly).toBeGreaterThan(0);
    expect(complete).toBeGreaterThan(mostly);
    expect(rewatched).toBeGreaterThan(complete);
    // Rewatches are capped: a loop left running is not infinite love.
    expect(signalWeight({ ...base, completes: 50 })).toBe(signalWeight({ ...base, completes: 4 }));
  });
  it('a share beats a like beats a comment, and each adds to watching', () => {
    const watched = { ...base, completes: 1 };
    const like = signalWeight({ ...watched, liked: true });
    const share = signalWeight({ ...watched, shared: true });
    const comment = signalWeight({ ...watched, commented: true });
    expect(share).toBeGreaterThan(like);
    expect(like).toBeGreaterThan(comment);
    expect(comment).toBeGreaterThan(signalWeight(watched));
  });
  it('a quick skip is negative, a skip after a real look less so', () => {
    const quick = signalWeight({ ...base, skips: 1, watchedMs: 800 });
    const partial = signalWeight({ ...base, skips: 1, watchedMs: 3500 });
    expect(quick).toBeLessThan(partial);
    expect(partial).toBeLessThan(0);
    // A skip after watching most of it is not a dislike.
    expect(signalWeight({ ...base, skips: 1, watchedMs: 8000 })).toBeGreaterThan(0);
  });
  it('following the author counts only with evidence of watching', () => {
    expect(signalWeight({ ...base, followsAuthor: true })).toBe(0);
    expect(signalWeight({ ...base, completes: 1, followsAuthor: true })).toBeGreaterThan(signalWeight({ ...base, completes: 1 }));
  });
});
