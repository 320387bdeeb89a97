import { describe, expect, it } from 'vitest';
import { seededRng } from '../../lib/seeded-rng.js';
import type { CatalogSnapshot } from './catalog.js';
import { ARMS_PER_REQUEST, ExplorationIndex, FIT_PER_WEIGHT, MATCHED_ARMS, REJECTED_MATCH, topicAwareOrder } from './exploration.js';
import type { LoadedModel } from './model-store.js';
import { trainModel, type TrainingData } from './model/index.js';
import type { CatalogVideo } from './recs.repository.js';
import type { HistoryPair } from './signals.js';
import { Neighbours, similarNegativePenalty, TASTE, tasteProfile } from './taste.js';

/**
 * A real model over two taste clusters: items a0–a5 (creator ca, #alpha) and
 * b0–b5 (creator cb, #beta). Cluster A's viewers complete A items and skip a
 * B one now and then, and the reverse.
 */
async function clusteredModel(): Promise<LoadedModel> {
  const itemIds = [...Array.from({ length: 6 }, (_, i) => `a${i}`), ...Array.from({ length: 6 }, (_, i) => `b${i}`)];
  const users: number[] = [];
  const items: number[] = [];
  const weights: number[] = [];
  let u = 0;
  for (const [liked, other] of [
    [0, 6],
    [6, 0],
  ] as const) {
    for (let n = 0; n < 30; n++, u++) {
      for (let k = 0; k < 6; k++) {
        if ((n + k) % 3 === 0) continue;
        users.push(u);
        items.push(liked + k);
        weights.push(1 + (k % 2));
      }
      users.push(u);
      items.push(other + (n % 6));
      weights.push(-1);
    }
  }
  const data: TrainingData = {
    nUsers: u,
    nItems: 12,
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    weights: Float32Array.from(weights),
  };
  const model = await trainModel(data);
  return { version: 1, model, itemIds, index: new Map(itemIds.map((id, i) => [id, i])), trainedAt: new Date() };
}

const video = (id: string, ownerId: string, tag: string | null, createdAt = 0): CatalogVideo => ({
  id,
  ownerId,
  tag,
  createdAt,
  durationMs: 10_000,
});

function snapshot(videos: CatalogVideo[], armIds: string[]): CatalogSnapshot {
  return {
    newest: videos.map((v) => v.id),
    byId: new Map(videos.map((v) => [v.id, v])),
    byOwner: new Map(),
    trending: [],
    arms: armIds.map((id) => ({ id, viewers: 0, engaged: 0 })),
    rising: [],
    loadedAt: 0,
    generation: 0,
  };
}

const pair = (videoId: string, ownerId: string, over: Partial<HistoryPair>): HistoryPair => ({
  videoId,
  ownerId,
  durationMs: 10_000,
  impressions: 1,
  completes: 0,
  skips: 0,
  watchedMs: 0,
  liked: false,
  shared: false,
  commented: false,
  followsAuthor: false,
  lastAt: 0,
  ...over,
});
const completed = (id: string, owner: string) => pair(id, owner, { completes: 1, watchedMs: 10_000 });
const quickSkipped = (id: string, owner: string) => pair(id, owner, { skips: 1, watchedMs: 700 });

const catalogVideos = [
  ...Array.from({ length: 6 }, (_, i) => video(`a${i}`, 'ca', i % 2 ? 'alpha' : null)),
  ...Array.from({ length: 6 }, (_, i) => video(`b${i}`, 'cb', i % 2 ? 'beta' : null)),
];
const tagOf = (id: string) => catalogVideos.find((v) => v.id === id)?.tag ?? null;

describe('tasteProfile', () => {
  it('weighs creators, hashtags and model items by the signal, newest first, decaying with recency', () => {
    const itemOf = (id: string) => ['a1', 'b1'].indexOf(id);
    const p = tasteProfile([completed('a1', 'ca'), quickSkipped('b1', 'cb')], [], tagOf, (id) => (itemOf(id) < 0 ? undefined : itemOf(id)));
    expect(p.authors.get('ca')).toBe(1);
    expect(p.tags.get('alpha')).toBe(1);
    expect(p.authors.get('cb')).toBeCloseTo(-1 * Math.pow(0.5, 1 / TASTE.halfLife));
    expect(p.items.get(0)).toBe(1);
    expect(p.items.get(1)).toBeLessThan(0);
  });

  it('reads at most TASTE.maxPairs videos with a signal and ignores neutral ones', () => {
    const history = [pair('x', 'cx', {}), ...Array.from({ length: 200 }, (_, i) => completed(`v${i}`, `c${i}`))];
    const p = tasteProfile(
      history,
      [],
      () => null,
      () => undefined,
    );
    expect(p.authors.size).toBe(TASTE.maxPairs);
    expect(p.authors.has('cx')).toBe(false);
  });

  it('"Not interested" marks beyond the history still repel their model item', () => {
    const p = tasteProfile([], [{ videoId: 'a2', ownerId: 'ca', tags: [] }], tagOf, (id) => (id === 'a2' ? 2 : undefined));
    expect(p.items.get(2)).toBeLessThan(0);
  });
});

describe('similarNegativePenalty', () => {
  it('sinks the model neighbours of a quickly skipped video, not the other cluster, and more for more skips', async () => {
    const loaded = await clusteredModel();
    const itemOf = (id: string) => loaded.index.get(id);
    const neighbours = new Neighbours(loaded.model);
    const one = similarNegativePenalty(tasteProfile([quickSkipped('a0', 'ca')], [], tagOf, itemOf), neighbours, itemOf, 0.03);
    const a = catalogVideos.slice(1, 6).map(one);
    const b = catalogVideos.slice(6).map(one);
    expect(Math.max(...a)).toBeLessThan(0);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-0.03);
    expect(b.every((x) => x === 0)).toBe(true);
    const two = similarNegativePenalty(
      tasteProfile([quickSkipped('a0', 'ca'), quickSkipped('a1', 'ca')], [], tagOf, itemOf),
      neighbours,
      itemOf,
      0.03,
    );
    expect(two(catalogVideos[3]!)).toBeLessThan(one(catalogVideos[3]!));
    // Positives only, no model, or strength 0: no penalty at all.
    expect(
      similarNegativePenalty(tasteProfile([completed('a0', 'ca')], [], tagOf, itemOf), neighbours, itemOf, 0.03)(catalogVideos[3]!),
    ).toBe(0);
    expect(similarNegativePenalty(tasteProfile([quickSkipped('a0', 'ca')], [], tagOf, itemOf), null, itemOf, 0.03)(catalogVideos[3]!)).toBe(
      0,
    );
  });

  it('cuts at most the request’s budget of new rows; rows already cut are free', async () => {
    const loaded = await clusteredModel();
    const n = new Neighbours(loaded.model);
    const budget = { left: 1 };
    expect(n.of(0, budget).items.length).toBeGreaterThan(0);
    expect(budget.left).toBe(0);
    expect(n.of(1, budget).items.length).toBe(0); // over budget: no neighbours this time…
    expect(n.of(0, budget).items.length).toBeGreaterThan(0); // …cached ones still come
    expect(n.of(1, { left: 1 }).items.length).toBeGreaterThan(0); // …and the next request cuts it
    expect(
      tasteProfile(
        [],
        [],
        () => null,
        () => undefined,
      ).rowBudget.left,
    ).toBe(TASTE.newRowsPerRequest);
  });

  it('reads at most TASTE.neighbours nearest items per row', async () => {
    const loaded = await clusteredModel();
    const n = new Neighbours(loaded.model);
    for (let i = 0; i < 12; i++) {
      const row = n.of(i);
      expect(row.items.length).toBeLessThanOrEqual(TASTE.neighbours);
      expect([...row.items]).not.toContain(i);
      if (row.weights.length > 0) expect(row.weights[0]).toBe(1);
    }
  });
});

describe('topic-aware exploration', () => {
  it('matches a trial video by creator, hashtag and nearest model items, signed by the viewer’s taste', async () => {
    const loaded = await clusteredModel();
    // Two trial videos known to the model (a5, b5) and two brand-new ones only their creator/hashtag describe.
    const newA = video('newA', 'ca', null);
    const newBeta = video('newBeta', 'someone', 'beta');
    const index = ExplorationIndex.of(snapshot([...catalogVideos, newA, newBeta], ['a5', 'b5', 'newA', 'newBeta']), loaded);
    const itemOf = (id: string) => loaded.index.get(id);
    const fanOfA = tasteProfile([completed('a1', 'ca'), completed('a2', 'ca')], [], tagOf, itemOf);
    expect(index.match('a5', fanOfA)).toBeGreaterThan(0.5);
    expect(index.match('newA', fanOfA)).toBeGreaterThan(0.5);
    expect(index.match('b5', fanOfA)).toBe(0);
    expect(index.match('newBeta', fanOfA)).toBe(0);
    const skipsB = tasteProfile([quickSkipped('b1', 'other'), quickSkipped('b3', 'other')], [], tagOf, itemOf);
    expect(index.match('b5', skipsB)).toBeLessThan(0);
    expect(index.match('newBeta', skipsB)).toBeLessThan(0);
    // Without a model only creators and hashtags match.
    const noModel = ExplorationIndex.of(snapshot([...catalogVideos, newA], ['a5', 'newA']), null);
    expect(noModel.match('newA', fanOfA)).toBeGreaterThan(0.5);
  });

  it('moves trial videos (only them) in the blend by their fit, bounded, and not at all when topic-blind', () => {
    const newA = video('newA', 'ca', null);
    const index = ExplorationIndex.of(snapshot([...catalogVideos, newA], ['newA']), null);
    const fan = tasteProfile([completed('a1', 'ca'), completed('a2', 'ca')], [], tagOf, () => undefined);
    const skipper = tasteProfile([quickSkipped('a1', 'ca'), quickSkipped('a2', 'ca')], [], tagOf, () => undefined);
    const fit = index.trialFit(fan, 1.5);
    expect(fit(newA)).toBeGreaterThan(0);
    expect(fit(newA)).toBeLessThanOrEqual(FIT_PER_WEIGHT * 1.5);
    expect(fit(catalogVideos[3]!)).toBe(0); // same creator, but not on trial
    expect(index.trialFit(skipper, 1.5)(newA)).toBeLessThan(0);
    expect(index.trialFit(fan, 0)(newA)).toBe(0);
  });

  it('gives a matching trial video the viewer’s exploration slots far more often; weight 0 is plain Thompson sampling', () => {
    const arms = Array.from({ length: 20 }, (_, i) => ({ id: `t${i}`, viewers: 3, engaged: 1 }));
    const match = (id: string) => (id === 't7' ? 0.8 : id === 't9' ? -0.8 : 0);
    const firsts = (weight: number) => {
      const rng = seededRng(7);
      const counts = new Map<string, number>();
      for (let k = 0; k < 2000; k++) {
        const first = topicAwareOrder(arms, match, weight, rng)[0]!;
        counts.set(first, (counts.get(first) ?? 0) + 1);
      }
      return counts;
    };
    const blind = firsts(0);
    const aware = firsts(1.5);
    expect(aware.get('t7')!).toBeGreaterThan(4 * blind.get('t7')!);
    expect(aware.get('t9') ?? 0).toBeLessThan(blind.get('t9')!);
    // Clearly rejected (match ≤ REJECTED_MATCH): no exploration slot of this viewer's at all; topic-blind keeps it.
    const rejected = (id: string) => (id === 't9' ? REJECTED_MATCH : 0);
    expect(topicAwareOrder(arms, rejected, 1.5, seededRng(5))).not.toContain('t9');
    expect(topicAwareOrder(arms, rejected, 1.5, seededRng(5))).toHaveLength(arms.length - 1);
    expect(topicAwareOrder(arms, rejected, 0, seededRng(5))).toContain('t9');
    // Equal weights and the same draws: weight 0 orders exactly by the Thompson draw.
    expect(topicAwareOrder(arms, match, 0, seededRng(3))).toEqual(topicAwareOrder(arms, () => 0, 1.5, seededRng(3)));
    // A limit selects the head of the same order (every arm is still drawn for, so the draws are the same).
    for (const limit of [1, 5, 19, 25]) {
      expect(topicAwareOrder(arms, match, 1.5, seededRng(11), limit)).toEqual(
        topicAwareOrder(arms, match, 1.5, seededRng(11)).slice(0, limit),
      );
    }
  });

  it('considers a bounded number of trial videos per request, the viewer’s creators and hashtags included', () => {
    const pool = Array.from({ length: 5000 }, (_, i) => video(`p${i}`, `c${i % 1000}`, i % 7 === 0 ? `tag${i % 100}` : null));
    const index = ExplorationIndex.of(
      snapshot(
        pool,
        pool.map((v) => v.id),
      ),
      null,
    );
    const taste = tasteProfile(
      [completed('p3', 'c3')],
      [],
      () => 'tag21',
      () => undefined,
    );
    const got = index.candidates(taste, seededRng(1));
    expect(got.length).toBeLessThanOrEqual(ARMS_PER_REQUEST + MATCHED_ARMS);
    expect(new Set(got.map((a) => a.id)).size).toBe(got.length);
    // Every trial video of creator c3 (p3, p1003, …) is among them, whatever the random subset drew.
    for (const v of pool.filter((x) => x.ownerId === 'c3')) expect(got.some((a) => a.id === v.id)).toBe(true);
    const tagged = pool.filter((x) => x.tag === 'tag21');
    expect(tagged.length).toBeGreaterThan(3);
    for (const v of tagged) expect(got.some((a) => a.id === v.id)).toBe(true);
  });
});
