import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../adapters/db/migrate.js';
import { PgliteDatabase } from '../../adapters/db/pglite-database.js';
import { FsObjectStore } from '../../adapters/storage/fs-object-store.js';
import { seededRng } from '../../lib/seeded-rng.js';
import { simulatedCatalog } from '../../../test/support/recs-catalog.js';
import { decodeArtifact, ModelHolder } from './model-store.js';
import { registerRecsMetrics } from './recs.metrics.js';
import { RecsRepository, type PairRow } from './recs.repository.js';
import { RecsTrainer } from './trainer.js';
import type { TrainingHistory, TrainingSource } from './training-source.js';

/** Viewer `u` watched video `video` once, through (liked: a complete) or not (a quick skip), at `atMs`. */
function watched(u: number, video: number, liked: boolean, atMs: number): PairRow {
  return {
    viewer: `viewer-${u}`,
    videoId: `video-${video}`,
    ownerId: `creator-${video % 7}`,
    durationMs: 20_000,
    impressions: 1,
    completes: liked ? 1 : 0,
    skips: liked ? 0 : 1,
    watchedMs: liked ? 20_000 : 1_000,
    liked: false,
    shared: false,
    commented: false,
    followsAuthor: false,
    lastAt: new Date(atMs),
  };
}

/**
 * A history of `viewers` viewers over `videos` videos in `topics` topics:
 * with `taste`, each viewer mostly watches and completes their topic's
 * videos and quickly skips the others; without, everyone completes the same
 * popular videos. Each pair's time is its order in the viewer's history.
 */
function history(o: { viewers: number; videos: number; topics: number; taste: boolean; seed: number }): PairRow[] {
  const rnd = seededRng(o.seed);
  const pairs: PairRow[] = [];
  const t0 = Date.UTC(2026, 10, 1);
  for (let u = 0; u < o.viewers; u++) {
    const topic = u % o.topics;
    const seen = new Set<number>();
    for (let e = 0; e < 20; e++) {
      // Popularity: lower video numbers are shown more.
      const v = Math.floor(Math.pow(rnd(), 2) * o.videos);
      const ofTopic = o.taste && rnd() < 0.7 ? v - (v % o.topics) + topic : v;
      const video = Math.min(ofTopic, o.videos - 1);
      if (seen.has(video)) continue;
      seen.add(video);
      const liked = o.taste ? video % o.topics === topic && rnd() < 0.8 : rnd() < 0.5;
      pairs.push(watched(u, video, liked, t0 + e * 60_000));
    }
  }
  return pairs;
}

/** A simulated service's log (test/support/recs-catalog.ts) as the trainer's pairs: a positive is a complete, a negative a skip. */
function catalogHistory(o: Parameters<typeof simulatedCatalog>[0]): PairRow[] {
  const { data, at } = simulatedCatalog(o);
  const t0 = Date.UTC(2026, 10, 1);
  return Array.from(data.users, (u, k) => watched(u, data.items[k]!, data.weights[k]! > 0, t0 + at[k]! * 60_000));
}

class FixedHistory implements TrainingSource {
  readonly name = 'fixed';
  constructor(private readonly pairs: PairRow[]) {}
  async upToDate(): Promise<boolean> {
    return false;
  }
  async history(): Promise<TrainingHistory> {
    return { pairs: this.pairs, eventsRead: this.pairs.length, mark: { maxEventId: 0, lakeBatchId: null } };
  }
}

describe('RecsTrainer self-tuning', () => {
  let dir: string;
  let db: PgliteDatabase;
  let store: FsObjectStore;
  let repo: RecsRepository;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'curta-recs-trainer-'));
    db = await PgliteDatabase.open(null);
    await migrate(db);
    store = new FsObjectStore({ rootDir: join(dir, 'objects'), publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'x'.repeat(32) });
    repo = new RecsRepository(db);
  });

  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('chooses on the time-split holdout, records the choice with the version, and the served model and /metrics carry it', async () => {
    const source = new FixedHistory(history({ viewers: 600, videos: 120, topics: 6, taste: true, seed: 1 }));
    const outcome = await RecsTrainer.forWindow(repo, source, store, 90).train({ force: true });
    if (!outcome.trained) throw new Error(outcome.reason);
    const s = outcome.summary;
    expect(s.selection.status).toBe('tuned');
    expect(s.selection.kind).toBe('model');
    const h = s.selection.holdout!;
    expect(h.viewers).toBeGreaterThanOrEqual(200);
    expect(h.chosenNdcg).toBeGreaterThan(h.popularityNdcg);
    expect(s.searchMs).toBeGreaterThanOrEqual(0);

    const row = await repo.latestModel();
    expect(row?.version).toBe(s.version);
    expect(row?.selection).toEqual(JSON.parse(JSON.stringify(s.selection)));
    const params = (await db.query<{ params: Record<string, number> }>(`SELECT params FROM recs_models WHERE version = $1`, [s.version]))
      .rows[0]!.params;
    expect(params).toMatchObject(s.selection.foldIn!);

    const holder = new ModelHolder(repo, store, pino({ level: 'silent' }), 60_000);
    const loaded = await holder.get();
    expect(loaded?.selection?.blend).toEqual(s.selection.blend);
    const registry = new Registry();
    registerRecsMetrics(registry, holder);
    const text = await registry.metrics();
    expect(text).toMatch(/^curta_recs_tuned 1$/m);
    expect(text).toMatch(new RegExp(`^curta_recs_holdout_ndcg\\{ranking="chosen"\\} ${h.chosenNdcg}$`, 'm'));
    expect(text).toMatch(new RegExp(`^curta_recs_blend_weight\\{source="trending"\\} ${s.selection.blend.trending}$`, 'm'));
    expect(text).toMatch(/^curta_recs_popularity_only 0$/m);
  }, 120_000);

  it('serves popularity only (the model off) when the history has no personal signal', async () => {
    const source = new FixedHistory(history({ viewers: 600, videos: 120, topics: 6, taste: false, seed: 2 }));
    const outcome = await RecsTrainer.forWindow(repo, source, store, 90).train({ force: true });
    if (!outcome.trained) throw new Error(outcome.reason);
    const sel = outcome.summary.selection;
    expect(sel.kind).toBe('popularity');
    expect(sel.blend).toEqual({ personal: 0, trending: 1 });
    expect(sel.holdout!.chosenNdcg).toBe(sel.holdout!.popularityNdcg);
    expect((await repo.latestModel())?.selection?.kind).toBe('popularity');
  }, 120_000);

  it('with the search off, trains the production defaults and says so', async () => {
    const source = new FixedHistory(history({ viewers: 600, videos: 120, topics: 6, taste: true, seed: 3 }));
    const outcome = await RecsTrainer.forWindow(repo, source, store, 90, 0).train({ force: true });
    if (!outcome.trained) throw new Error(outcome.reason);
    expect(outcome.summary.selection).toMatchObject({ status: 'untuned', holdout: null, blend: { personal: 1, trending: 0.35 } });
    expect(outcome.summary.selection.reason).toMatch(/search off/);
  }, 120_000);

  it('on a small catalog nearly everyone has seen much of, chooses the EASE graph, refits it on everything and publishes it', async () => {
    const source = new FixedHistory(catalogHistory({ ...DENSE, nUsers: 500 }));
    const outcome = await RecsTrainer.forWindow(repo, source, store, 90).train({ force: true });
    if (!outcome.trained) throw new Error(outcome.reason);
    const sel = outcome.summary.selection;
    expect(sel.status).toBe('tuned');
    expect(sel.kind).toBe('model');
    expect(sel.ease).toMatchObject({ neighbours: 400 });
    expect(sel.chosen).toMatch(/^ease\(λ=\d+, top 400\)/);
    expect(sel.holdout!.chosenNdcg).toBeGreaterThan(sel.holdout!.defaultsNdcg);
    const row = await repo.latestModel();
    expect(row?.selection?.chosen).toBe(sel.chosen);
    // The published artifact is the EASE graph fitted on the whole history: one graph, positives binary.
    const { model } = decodeArtifact(await readAll(store, row!.objectKey), row!.version);
    expect(model.exposure.indices.length).toBe(0);
    expect(model.preference.indices.length).toBeGreaterThan(0);
    expect(model.foldIn).toMatchObject({ positivePower: 0, negativeExposure: 0, negativePreference: 0 });
    expect(model.nItems).toBe(outcome.summary.videos);

    // With the bound below the catalog, EASE is not a candidate.
    const off = await RecsTrainer.forWindow(repo, source, store, 90, undefined, 100).train({ force: true });
    if (!off.trained) throw new Error(off.reason);
    expect(off.summary.selection.ease ?? null).toBeNull();
    expect(off.summary.selection.chosen).not.toMatch(/ease/);
  }, 300_000);
});

/** The generalization test's "dense" service (KuaiRec-like: a small catalog, long histories). */
const DENSE = {
  nUsers: 800,
  nItems: 300,
  clusters: 6,
  tasteShare: 0.35,
  engage: [0.55, 0.3] as [number, number],
  events: [80, 160] as [number, number],
  seed: 5,
};

async function readAll(store: FsObjectStore, key: string): Promise<Buffer> {
  return buffer((await store.get(key)).body);
}
