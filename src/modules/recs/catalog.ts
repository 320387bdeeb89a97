import type { Logger } from 'pino';
import type { Cache } from '../../ports/cache.js';
import { posteriorMean, trialFailed, type ExploreArm } from './ranking.js';
import type { CatalogVideo, ExploreStat, RecsRepository } from './recs.repository.js';

export interface CatalogSnapshot {
  /** Discoverable videos' ids, newest first, less new videos whose trial clearly failed (the fresh source). */
  newest: string[];
  byId: Map<string, CatalogVideo>;
  /** Each creator's discoverable videos. */
  byOwner: Map<string, CatalogVideo[]>;
  /** Trending ranking (ids, best first). */
  trending: string[];
  /** New videos on trial (the exploration pool), with their exposure so far. */
  arms: ExploreArm[];
  /** Videos on trial that proved themselves, best posterior first. */
  rising: string[];
  loadedAt: number;
  /** The feed generation it was loaded at (a publish or withdrawal anywhere bumps it). */
  generation: number;
}

export interface CatalogOptions {
  /** How long a snapshot serves before a background refresh (requests never wait for one once loaded). */
  ttlMs: number;
  /** At most this many of the newest discoverable videos are candidates. */
  maxVideos: number;
  /** Videos younger than this are on trial. */
  exploreWindowMs: number;
  /** A video leaves the trial after this many distinct viewers. */
  graduateViewers: number;
  /** How long one computation of trial exposure serves every process (it reads every young video's events). */
  exploreStatsTtlMs: number;
  trendingWindowMs: number;
  trendingSize: number;
}

/** Viewers a new video needs before its engagement rate counts for promotion. */
const RISING_MIN_VIEWERS = 5;

/**
 * The candidate pool every For You request ranks from, held in memory and
 * refreshed in the background (stale-while-revalidate): a request ranks
 * thousands of candidates without touching the database for them. What it
 * serves is re-checked against the database row by row before it is shown,
 * so a video made private or taken down a moment ago is never served.
 * Everything that depends only on the pool (the trial arms, the rising
 * order) is computed here once per snapshot, not per request.
 */
export class CatalogCache {
  private snapshot: CatalogSnapshot | null = null;
  private loading: Promise<CatalogSnapshot> | null = null;
  private invalidated = false;

  constructor(
    private readonly repo: RecsRepository,
    private readonly cache: Cache,
    private readonly trendingIds: (since: Date, limit: number) => Promise<string[]>,
    /** The shared feed generation: a change means a video was published or withdrawn in some process. */
    private readonly generation: () => Promise<number>,
    private readonly log: Logger,
    private readonly opts: CatalogOptions,
  ) {}

  async get(): Promise<CatalogSnapshot> {
    const s = this.snapshot;
    if (!s || this.invalidated) return this.load();
    // Published or withdrawn anywhere (the generation read is memoised per process), or simply old: refresh in
    // the background. Serving the previous pool meanwhile is safe: every served video is re-checked row by row.
    const changed = (await this.generation().catch(() => s.generation)) !== s.generation;
    if (changed || Date.now() - s.loadedAt >= this.opts.ttlMs) {
      this.load().catch((err: unknown) => this.log.warn({ err }, 'recs: catalog refresh failed; serving the previous one'));
    }
    return s;
  }

  /** The next request waits for a fresh snapshot (rows written behind the app's back, as tests seed them). */
  invalidate(): void {
    this.invalidated = true;
  }

  private load(): Promise<CatalogSnapshot> {
    this.loading ??= this.fetch().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async fetch(): Promise<CatalogSnapshot> {
    this.invalidated = false;
    const generation = await this.generation().catch(() => -1);
    const now = Date.now();
    const windowStart = now - this.opts.exploreWindowMs;
    const [videos, trending, stats] = await Promise.all([
      this.repo.catalog(this.opts.maxVideos),
      this.trendingIds(new Date(now - this.opts.trendingWindowMs), this.opts.trendingSize),
      // One process computes it for all (single flight through the cache); a few seconds stale is fine for a bandit.
      this.cache.getOrLoad<ExploreStat[]>(`recs:explore:${Math.floor(windowStart / 3_600_000)}`, this.opts.exploreStatsTtlMs, () =>
        this.repo.exploreStats(new Date(windowStart)),
      ),
    ]);
    const exposure = new Map(stats.map((s) => [s.videoId, s]));
    const young = videos
      .filter((v) => v.createdAt > windowStart)
      .map((v) => ({ id: v.id, viewers: exposure.get(v.id)?.viewers ?? 0, engaged: exposure.get(v.id)?.engaged ?? 0 }))
      .filter((a) => a.viewers < this.opts.graduateViewers);
    // Trials that clearly failed leave the pool: measured against how new videos do on average.
    const totals = young.reduce((t, a) => ({ viewers: t.viewers + a.viewers, engaged: t.engaged + a.engaged }), { viewers: 0, engaged: 0 });
    const baseline = totals.viewers > 0 ? totals.engaged / totals.viewers : 0;
    const failed = new Set(young.filter((a) => trialFailed(a, baseline)).map((a) => a.id));
    const arms = young.filter((a) => !failed.has(a.id));
    const rising = arms
      .filter((a) => a.viewers >= RISING_MIN_VIEWERS)
      .sort((a, b) => posteriorMean(b) - posteriorMean(a))
      .map((a) => a.id);
    const byOwner = new Map<string, CatalogVideo[]>();
    for (const v of videos) {
      const list = byOwner.get(v.ownerId);
      if (list) list.push(v);
      else byOwner.set(v.ownerId, [v]);
    }
    this.snapshot = {
      // A trial that clearly failed no longer rides the fresh source either (it stays discoverable elsewhere).
      newest: videos.filter((v) => !failed.has(v.id)).map((v) => v.id),
      byId: new Map(videos.map((v) => [v.id, v])),
      byOwner,
      trending,
      arms,
      rising,
      loadedAt: now,
      generation,
    };
    return this.snapshot;
  }
}
