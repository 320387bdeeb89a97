import { AppError } from '../../errors.js';
import { decodeOffsetCursor, encodeOffsetCursor } from '../../lib/cursor.js';
import { afterCursor, isoTime, keysetPage, type Page, type PageParams } from '../../lib/pagination.js';
import type { Cache } from '../../ports/cache.js';
import type { PublicUser } from '../accounts/user.types.js';
import type { ProfilesService } from '../accounts/profiles.service.js';
import { normalizeTag } from '../videos/caption.js';
import { FEED_GENERATION_KEY } from '../videos/video-events.js';
import type { VideoRow } from '../videos/video.types.js';
import type { VideosRepository } from '../videos/videos.repository.js';
import { isDiscoverable } from '../videos/visibility.js';
import type { VideosService } from '../videos/videos.service.js';
import type { VideoView } from '../videos/videos.schema.js';
import type { DiscoveryRepository } from './discovery.repository.js';
import type { SearchParams, SearchResult, SearchSuggestions, SearchTrending, SuggestParams, TrendingCreator } from './discovery.schema.js';

export interface DiscoveryOptions {
  /** How far back engagement counts for trending. */
  trendingWindowMs: number;
  /** How long one computed ranking serves pages (also keeps pagination stable). */
  trendingTtlMs: number;
  /** How many videos one ranking holds. */
  trendingSize: number;
  /** How many trending hashtags and creators one shared list holds (each viewer gets it minus their blocks). */
  trendingListSize: number;
}

export const DEFAULT_DISCOVERY_OPTIONS: DiscoveryOptions = {
  trendingWindowMs: 72 * 3600_000,
  trendingTtlMs: 30_000,
  trendingSize: 500,
  trendingListSize: 50,
};

export class DiscoveryService {
  constructor(
    private readonly repo: DiscoveryRepository,
    private readonly videosRepo: VideosRepository,
    private readonly videos: VideosService,
    private readonly profiles: ProfilesService,
    private readonly cache: Cache,
    private readonly opts: DiscoveryOptions = DEFAULT_DISCOVERY_OPTIONS,
    /** People in a block with a viewer (their videos leave that viewer's trending). */
    private readonly blockedIds?: (viewerId: string) => Promise<ReadonlySet<string>>,
  ) {}

  /** People, videos (by caption, hashtags included) and hashtags matching `q`. */
  async search(viewer: PublicUser | null, params: SearchParams): Promise<SearchResult> {
    const q = params.q;
    const firstWord = q.split(/\s+/)[0] ?? '';
    const usernamePrefix = firstWord.replace(/^@/, '');
    const tagPrefix = normalizeTag(firstWord);
    const [users, videoRows, hashtags] = await Promise.all([
      this.repo.searchUsers(q.replace(/(^|\s)[@#]/g, '$1'), usernamePrefix, params.limit, viewer?.id ?? null),
      this.repo.searchVideos(q, params.limit, viewer?.id ?? null),
      tagPrefix ? this.repo.searchHashtags(tagPrefix, params.limit) : Promise.resolve([]),
    ]);
    return {
      query: q,
      users: users.map((u) => this.profiles.summary(u)),
      videos: await this.videos.present(videoRows, viewer),
      hashtags,
    };
  }

  async hashtagVideos(rawTag: string, viewer: PublicUser | null, page: PageParams): Promise<Page<VideoView> & { tag: string }> {
    const tag = normalizeTag(rawTag);
    if (!tag) throw new AppError('validation_failed', 'Not a hashtag: use letters, digits and "_" (up to 100).');
    const rows = await this.repo.listByHashtag(tag, page.limit + 1, afterCursor(page.cursor), viewer?.id ?? null);
    const result = keysetPage(rows, page.limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
    return { tag, items: await this.videos.present(result.items, viewer), nextCursor: result.nextCursor };
  }

  /**
   * Trending: one ranking is computed per `trendingTtlMs` (and again whenever
   * the public feed changes) and pages are cut from it by offset, so paging
   * through it neither repeats nor skips videos while the ranking holds.
   */
  async trending(viewer: PublicUser | null, page: PageParams): Promise<Page<VideoView>> {
    const offset = page.cursor === undefined ? 0 : decodeOffsetCursor(page.cursor);
    const generation = (await this.cache.get<number>(FEED_GENERATION_KEY)) ?? 0;
    const ranking = await this.cache.getOrLoad(`trending:${generation}`, this.opts.trendingTtlMs, () =>
      this.repo.trendingIds(new Date(Date.now() - this.opts.trendingWindowMs), this.opts.trendingSize),
    );
    const ids = ranking.slice(offset, offset + page.limit);
    const [found, blocked, dismissed] = await Promise.all([
      this.videosRepo.listByIds(ids),
      viewer && this.blockedIds ? this.blockedIds(viewer.id) : Promise.resolve(null),
      viewer ? this.repo.notInterestedAmong(viewer.id, ids) : Promise.resolve(null),
    ]);
    const byId = new Map(found.map((r) => [r.id, r]));
    // A video withdrawn since the ranking was computed drops out of the page, as do people in a
    // block with the viewer and videos the viewer said they are not interested in.
    const rows = ids
      .map((id) => byId.get(id))
      .filter((r): r is VideoRow => r !== undefined && isDiscoverable(r) && !blocked?.has(r.owner_id) && !dismissed?.has(r.id));
    const next = offset + page.limit;
    return {
      items: await this.videos.present(rows, viewer),
      nextCursor: next < ranking.length ? encodeOffsetCursor(next) : null,
    };
  }

  /**
   * What to suggest while someone types: people whose username or name
   * starts with the text, and hashtags that start with it. The text is a
   * prefix only (LIKE's `%` and `_` in it match themselves).
   */
  async suggest(viewer: PublicUser | null, params: SuggestParams): Promise<SearchSuggestions> {
    const q = params.q;
    const userPrefix = q.replace(/^@/, '').toLowerCase();
    const tagPrefix = q.includes(' ') ? null : normalizeTag(q);
    const [users, hashtags] = await Promise.all([
      q.startsWith('#') || !userPrefix ? Promise.resolve([]) : this.repo.suggestUsers(userPrefix, params.limit, viewer?.id ?? null),
      q.startsWith('@') || !tagPrefix ? Promise.resolve([]) : this.repo.searchHashtags(tagPrefix, params.limit),
    ]);
    return { query: q, users: users.map((u) => this.profiles.summary(u)), hashtags };
  }

  /**
   * What search shows before anything is typed: trending hashtags and
   * creators. One list is computed for everyone per `trendingTtlMs` (and again
   * when the public feed changes); each viewer gets it minus the people in a
   * block with them, and minus themselves.
   */
  async trendingTopics(viewer: PublicUser | null, limit: number): Promise<SearchTrending> {
    const generation = (await this.cache.get<number>(FEED_GENERATION_KEY)) ?? 0;
    const since = () => new Date(Date.now() - this.opts.trendingWindowMs);
    const size = this.opts.trendingListSize;
    const [hashtags, creators, blocked] = await Promise.all([
      this.cache.getOrLoad(`trending-tags:${generation}`, this.opts.trendingTtlMs, () => this.repo.trendingHashtags(since(), size)),
      this.cache.getOrLoad(`trending-creators:${generation}`, this.opts.trendingTtlMs, async () =>
        (await this.repo.trendingCreators(since(), size)).map((row): TrendingCreator => ({
          ...this.profiles.summary(row),
          followerCount: row.follower_count,
        })),
      ),
      viewer && this.blockedIds ? this.blockedIds(viewer.id) : Promise.resolve(null),
    ]);
    return {
      hashtags: hashtags.slice(0, limit),
      creators: creators.filter((c) => c.id !== viewer?.id && !blocked?.has(c.id)).slice(0, limit),
    };
  }
}
