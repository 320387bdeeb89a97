import { describe, expect, it } from 'vitest';
import type { PairSignals } from './history.types.js';
import { aggregateHistory, isQuickSkip, SIGNAL_WEIGHTS, signalWeight } from './signals.js';

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
  it('"Not interested" is the strongest negative and outranks everything else the viewer did', () => {
    const loved = { ...base, completes: 4, liked: true, shared: true, commented: true, followsAuthor: true };
    expect(signalWeight({ ...loved, notInterested: true })).toBe(SIGNAL_WEIGHTS.notInterested);
    expect(signalWeight({ ...base, notInterested: true })).toBeLessThan(signalWeight({ ...base, skips: 1, watchedMs: 100 }));
  });
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
  it('grades watching by how much was watched: more watched, more weight, continuously', () => {
    const at = (ms: number) => signalWeight({ ...base, watchedMs: ms });
    expect(at(5000)).toBeCloseTo(SIGNAL_WEIGHTS.mostlyWatched);
    expect(at(7000)).toBeGreaterThan(at(5500));
    expect(at(9500)).toBeGreaterThan(at(7000));
    expect(at(9999)).toBeLessThan(signalWeight({ ...base, completes: 1, watchedMs: 10_000 }));
    expect(at(9999)).toBeCloseTo(SIGNAL_WEIGHTS.nearlyComplete, 2);
    // A skip before half: the later, the milder, down to nothing at half; never below a quick skip.
    const skipAt = (ms: number) => signalWeight({ ...base, skips: 1, watchedMs: ms });
    expect(skipAt(2100)).toBeCloseTo(SIGNAL_WEIGHTS.partialSkip, 1);
    expect(skipAt(4500)).toBeGreaterThan(skipAt(3000));
    expect(skipAt(4999)).toBeCloseTo(0, 2);
    expect(skipAt(2100)).toBeGreaterThan(SIGNAL_WEIGHTS.quickSkip);
    // A long video: 2 s is a quick skip whatever the fraction, and the grade starts after the quick-skip line.
    const long = { ...base, durationMs: 5_000, skips: 1 };
    expect(signalWeight({ ...long, watchedMs: 1900 })).toBe(SIGNAL_WEIGHTS.quickSkip);
    expect(signalWeight({ ...long, watchedMs: 2010 })).toBeCloseTo(SIGNAL_WEIGHTS.partialSkip, 1);
    // Less than half without a skip or a complete is no evidence yet (the player may still be playing).
    expect(at(3000)).toBe(0);
  });
  it('isQuickSkip: early skips only, never after a complete', () => {
    expect(isQuickSkip({ ...base, skips: 1, watchedMs: 800 })).toBe(true);
    expect(isQuickSkip({ ...base, skips: 1, watchedMs: 1900 })).toBe(true); // 19 %
    expect(isQuickSkip({ ...base, skips: 1, watchedMs: 3000 })).toBe(false);
    expect(isQuickSkip({ ...base, skips: 1, completes: 1, watchedMs: 800 })).toBe(false);
    expect(isQuickSkip({ ...base, watchedMs: 800 })).toBe(false);
  });
  it('following the author counts only with evidence of watching', () => {
    expect(signalWeight({ ...base, followsAuthor: true })).toBe(0);
    expect(signalWeight({ ...base, completes: 1, followsAuthor: true })).toBeGreaterThan(signalWeight({ ...base, completes: 1 }));
  });
});

describe('aggregateHistory', () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  const facts = (id: string) => (id === 'gone' ? undefined : { ownerId: id === 'v2' ? 'followed' : 'other', durationMs: 10_000 });

  it('counts per video like the training query, newest first, with follows and actions folded in', () => {
    const pairs = aggregateHistory(
      [
        { videoId: 'v1', type: 'impression', watchedMs: null, at: at(1) },
        { videoId: 'v1', type: 'progress', watchedMs: 4000, at: at(2) },
        { videoId: 'v1', type: 'complete', watchedMs: 10_000, at: at(3) },
        { videoId: 'v1', type: 'complete', watchedMs: 10_000, at: at(4) },
        { videoId: 'v2', type: 'skip', watchedMs: 900, at: at(5) },
        { videoId: 'gone', type: 'complete', watchedMs: 10_000, at: at(6) },
      ],
      [{ videoId: 'v1', kind: 'like', at: at(7) }],
      facts,
      new Set(['followed']),
    );
    expect(pairs.map((p) => p.videoId)).toEqual(['v1', 'v2']);
    expect(pairs[0]).toMatchObject({
      impressions: 1,
      completes: 2,
      skips: 0,
      watchedMs: 10_000,
      liked: true,
      followsAuthor: false,
      lastAt: at(7).getTime(),
    });
    expect(pairs[1]).toMatchObject({ skips: 1, watchedMs: 900, followsAuthor: true, ownerId: 'followed' });
    expect(signalWeight(pairs[0]!)).toBeGreaterThan(signalWeight({ ...pairs[0]!, liked: false }));
    expect(signalWeight(pairs[1]!)).toBeLessThan(0);
  });

  it('folds a "Not interested" action into its pair as the strongest negative', () => {
    const pairs = aggregateHistory(
      [{ videoId: 'v3', type: 'complete', watchedMs: 10_000, at: at(1) }],
      [
        { videoId: 'v3', kind: 'like', at: at(2) },
        { videoId: 'v3', kind: 'not_interested', at: at(3) },
      ],
      facts,
      new Set(),
    );
    expect(pairs[0]).toMatchObject({ videoId: 'v3', liked: true, notInterested: true, commented: false, lastAt: at(3).getTime() });
    expect(signalWeight(pairs[0]!)).toBe(SIGNAL_WEIGHTS.notInterested);
  });
});
