import { describe, expect, it } from 'vitest';
import { seededRng } from '../../lib/seeded-rng.js';
import {
  diversify,
  fuse,
  interleave,
  NOT_INTERESTED_PENALTY,
  notInterestedPenalty,
  posteriorMean,
  sampleBeta,
  sessionAffinity,
  thompsonOrder,
  topIndices,
  trialFailed,
} from './ranking.js';

describe('fuse (reciprocal-rank fusion)', () => {
  it('puts an item several sources rank high above one a single source ranks first', () => {
    const out = fuse([
      { name: 'a', ids: ['x', 'shared', 'y'], weight: 1 },
      { name: 'b', ids: ['z', 'shared'], weight: 1 },
    ]);
    expect(out[0]).toBe('shared');
    expect(new Set(out)).toEqual(new Set(['x', 'shared', 'y', 'z']));
  });
  it('weights sources and applies the per-item adjustment', () => {
    expect(
      fuse([
        { name: 'a', ids: ['p'], weight: 0.1 },
        { name: 'b', ids: ['q'], weight: 1 },
      ]),
    ).toEqual(['q', 'p']);
    expect(fuse([{ name: 'a', ids: ['p', 'q'], weight: 1 }], (id) => (id === 'q' ? 1 : 0))).toEqual(['q', 'p']);
  });
});

describe('exploration', () => {
  it('samples Beta draws with the right mean', () => {
    const rng = seededRng(1);
    let sum = 0;
    for (let i = 0; i < 4000; i++) sum += sampleBeta(2, 6, rng);
    expect(sum / 4000).toBeCloseTo(0.25, 1);
  });
  it('Thompson sampling favours the arm that holds attention, yet gives unseen arms a trial', () => {
    const rng = seededRng(7);
    const firsts = new Map<string, number>();
    for (let i = 0; i < 500; i++) {
      const order = thompsonOrder(
        [
          { id: 'loved', viewers: 40, engaged: 32 },
          { id: 'disliked', viewers: 40, engaged: 2 },
          { id: 'new', viewers: 0, engaged: 0 },
        ],
        rng,
      );
      firsts.set(order[0]!, (firsts.get(order[0]!) ?? 0) + 1);
    }
    expect(firsts.get('loved') ?? 0).toBeGreaterThan(300);
    expect(firsts.get('new') ?? 0).toBeGreaterThan(5);
    expect(firsts.get('disliked') ?? 0).toBeLessThan(firsts.get('new') ?? 0);
    expect(posteriorMean({ id: 'a', viewers: 40, engaged: 32 })).toBeGreaterThan(posteriorMean({ id: 'b', viewers: 0, engaged: 0 }));
  });
  it('a trial fails only with enough viewers and engagement far below the baseline', () => {
    expect(trialFailed({ id: 'a', viewers: 80, engaged: 0 }, 0.4)).toBe(true);
    expect(trialFailed({ id: 'b', viewers: 5, engaged: 0 }, 0.4)).toBe(false);
    expect(trialFailed({ id: 'c', viewers: 80, engaged: 30 }, 0.4)).toBe(false);
    expect(trialFailed({ id: 'd', viewers: 80, engaged: 0 }, 0)).toBe(false);
  });
  it('interleave gives the exploration list about its share of slots, without duplicates', () => {
    const ranked = Array.from({ length: 100 }, (_, i) => `r${i}`);
    const explore = ['r3', ...Array.from({ length: 100 }, (_, i) => `e${i}`)];
    const out = interleave(ranked, explore, 0.2, 100, seededRng(3));
    expect(out).toHaveLength(100);
    expect(new Set(out).size).toBe(100);
    const share = out.filter((id) => id.startsWith('e')).length / 100;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.32);
    expect(interleave(['a'], ['b'], 0, 5, seededRng(1))).toEqual(['a', 'b']);
  });
});

describe('session affinity', () => {
  it('raises authors and tags just enjoyed, lowers those just skipped, the newest counting most', () => {
    const f = sessionAffinity(
      [
        { ownerId: 'skipped', tag: 'cats', weight: -1 },
        { ownerId: 'loved', tag: 'dogs', weight: 3 },
      ],
      1,
    );
    expect(f({ id: '1', ownerId: 'loved', tag: null })).toBeGreaterThan(0);
    expect(f({ id: '2', ownerId: 'skipped', tag: null })).toBeLessThan(0);
    expect(f({ id: '3', ownerId: 'other', tag: 'dogs' })).toBeGreaterThan(0);
    expect(f({ id: '4', ownerId: 'other', tag: null })).toBe(0);
  });
});

describe('diversify', () => {
  it('never shows one creator twice in a row or three of one hashtag in a row while alternatives exist', () => {
    const items = [
      { id: '1', ownerId: 'a', tag: 't' },
      { id: '2', ownerId: 'a', tag: 't' },
      { id: '3', ownerId: 'b', tag: 't' },
      { id: '4', ownerId: 'c', tag: 't' },
      { id: '5', ownerId: 'd', tag: 'u' },
      { id: '6', ownerId: 'e', tag: null },
    ];
    const out = diversify(items, 6);
    expect(out.map((i) => i.id)).toEqual(['1', '3', '5', '2', '4', '6']);
    for (let i = 1; i < out.length; i++) expect(out[i]!.ownerId).not.toBe(out[i - 1]!.ownerId);
  });
  it('falls back to the best remaining item when no alternative exists', () => {
    const out = diversify(
      [
        { id: '1', ownerId: 'a', tag: null },
        { id: '2', ownerId: 'a', tag: null },
      ],
      5,
    );
    expect(out.map((i) => i.id)).toEqual(['1', '2']);
  });
});

describe('topIndices', () => {
  it('returns the n best candidates in order', () => {
    const score = Float32Array.from([5, 1, 9, 3, 7, 8]);
    expect(topIndices(score, [0, 1, 2, 3, 4, 5], 3)).toEqual([2, 5, 4]);
    expect(topIndices(score, [1, 3], 3)).toEqual([3, 1]);
    const big = Float32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    const all = Array.from({ length: 1000 }, (_, i) => i);
    const expected = [...all].sort((a, b) => big[b]! - big[a]!).slice(0, 10);
    expect(topIndices(big, all, 10)).toEqual(expected);
    // Random scores with many ties, every size of selection: the same set of scores as a full sort's head.
    const rnd = seededRng(4);
    const tied = Float32Array.from({ length: 500 }, () => Math.floor(rnd() * 40));
    const some = Array.from({ length: 500 }, (_, i) => i).filter(() => rnd() < 0.7);
    for (const n of [1, 7, 64, some.length - 1]) {
      const top = topIndices(tied, some, n);
      expect(new Set(top).size).toBe(n);
      expect(top.map((i) => tied[i])).toEqual(
        [...some]
          .sort((a, b) => tied[b]! - tied[a]!)
          .slice(0, n)
          .map((i) => tied[i]),
      );
    }
  });
});

describe('notInterestedPenalty ("Not interested" for one viewer)', () => {
  const item = (id: string, ownerId: string, tag: string | null = null) => ({ id, ownerId, tag });

  it('costs nothing without marks, and nothing to unrelated authors and hashtags', () => {
    expect(notInterestedPenalty([])(item('a', 'ana', 'cats'))).toBe(0);
    const p = notInterestedPenalty([{ ownerId: 'bob', tags: ['dogs'] }]);
    expect(p(item('a', 'ana', 'cats'))).toBe(0);
    expect(p(item('b', 'ana', null))).toBe(0);
  });

  it("down-weights the author's other videos more than the hashtag's, both more with more marks, never past the bounds", () => {
    const one = notInterestedPenalty([{ ownerId: 'bob', tags: ['dogs', 'dogs'] }]);
    const byAuthor = one(item('x', 'bob', null));
    const byTag = one(item('y', 'ana', 'dogs'));
    expect(byAuthor).toBeLessThan(byTag);
    expect(byTag).toBeLessThan(0);
    // A tag listed twice on one video is one mark.
    expect(byTag).toBeCloseTo(notInterestedPenalty([{ ownerId: 'bob', tags: ['dogs'] }])(item('y', 'ana', 'dogs')));
    expect(one(item('z', 'bob', 'dogs'))).toBeCloseTo(byAuthor + byTag);

    const three = notInterestedPenalty([
      { ownerId: 'bob', tags: ['dogs'] },
      { ownerId: 'bob', tags: ['dogs'] },
      { ownerId: 'bob', tags: [] },
    ]);
    expect(three(item('x', 'bob', null))).toBeLessThan(byAuthor);
    expect(three(item('x', 'bob', null))).toBeGreaterThanOrEqual(-NOT_INTERESTED_PENALTY.author);
    expect(three(item('z', 'bob', 'dogs'))).toBeGreaterThanOrEqual(-(NOT_INTERESTED_PENALTY.author + NOT_INTERESTED_PENALTY.tag));
  });

  it("sinks a marked author's video that every source ranked first below the unmarked ones, without removing it", () => {
    const items = new Map([
      ['bob1', item('bob1', 'bob', 'dogs')],
      ['ana1', item('ana1', 'ana', 'cats')],
      ['cy1', item('cy1', 'cy', 'birds')],
    ]);
    const sources = [
      { name: 'personal', ids: ['bob1', 'ana1', 'cy1'], weight: 1 },
      { name: 'trending', ids: ['bob1', 'cy1', 'ana1'], weight: 0.35 },
      { name: 'fresh', ids: ['bob1', 'ana1', 'cy1'], weight: 0.15 },
    ];
    expect(fuse(sources)[0]).toBe('bob1');
    const penalty = notInterestedPenalty([{ ownerId: 'bob', tags: ['other'] }]);
    expect(fuse(sources, (id) => penalty(items.get(id)!))).toEqual(['ana1', 'cy1', 'bob1']);
  });
});
