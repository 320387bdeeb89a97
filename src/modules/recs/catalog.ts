import type { Logger } from 'pino';
import type { CatalogVideo, ExploreStat, RecsRepository } from './recs.repository.js';

export interface CatalogSnapshot {
  /** Discoverable videos, newest first. */
  videos: CatalogVideo[];
  byId: Map<string, CatalogVideo>;
  /** Trending ranking (ids, best first). */
  trending: string[];
  /** Exposure of young videos, for the exploration bandit. */
  explore: Map<string, ExploreStat>;
  loadedAt: number;
}

export interface CatalogOptions {
  /** How long a snapshot serves before a background refresh (requests never wait for one once loaded). */
  ttlMs: number;
  /** At most this many of the newest discoverable videos are candidates. */
  maxVideos: number;
  /** Videos younger than this are in the exploration pool. */
  exploreWindowMs: number;
  trendingWindowMs: number;
  trendingSize: number;
}

/**
 * The candidate pool every For You request ranks from, held in memory and
 * refreshed in the background (stale-while-revalidate): a request ranks
 * thousands of candidates without touching the database for them. What it
 * serves is re-checked against the database row by row before it is shown,
 * so a video made private or taken down a moment ago is never served.
 */
export class CatalogCache {
  private snapshot: CatalogSnapshot | null = null;
  private loading: Promise<CatalogSnapshot> | null = null;
  private invalidated = false;

  constructor(
    private readonly repo: RecsRepository,
    private readonly trendingIds: (since: Date, limit: number) => Promise<string[]>,
    private readonly log: Logger,
    private readonly opts: CatalogOptions,
  ) {}

  async get(): Promise<CatalogSnapshot> {
    const s = this.snapshot;
    if (!s || this.invalidated) return this.load();
    if (Date.now() - s.loadedAt >= this.opts.ttlMs) {
      this.load().catch((err: unknown) => this.log.warn({ err }, 'recs: catalog refresh failed; serving the previous one'));
    }
    return s;
  }

  /** A video was published or withdrawn: the next request waits for a fresh snapshot. */
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
    const now = Date.now();
    const [videos, trending, explore] = await Promise.all([
      this.repo.catalog(this.opts.maxVideos),
      this.trendingIds(new Date(now - this.opts.trendingWindowMs), this.opts.trendingSize),
      this.repo.exploreStats(new Date(now - this.opts.exploreWindowMs)),
    ]);
    this.snapshot = {
      videos,
      byId: new Map(videos.map((v) => [v.id, v])),
      trending,
      explore: new Map(explore.map((s) => [s.videoId, s])),
      loadedAt: now,
    };
    return this.snapshot;
  }
}
