import { AppError } from '../../errors.js';
import type { KeysetCursor } from '../../lib/cursor.js';
import { afterCursor, isoTime, keysetPage, type Page } from '../../lib/pagination.js';
import type { Cache } from '../../ports/cache.js';
import type { PublicUser } from '../accounts/user.types.js';
import { FEED_GENERATION_KEY, anonymousViewKey, videoCacheKey } from './video-events.js';
import type { VideoRow } from './video.types.js';
import type { VideosRepository } from './videos.repository.js';
import { isPubliclyServable, type MediaUrls } from './media-urls.js';
import {
  canView,
  followersOnlyFor,
  isArchivedStatus,
  needsRelation,
  NO_RELATION,
  publicationOf,
  type ViewerRelation,
} from './visibility.js';
import type { VideoView } from './videos.schema.js';
import { ShortMemo } from '../../lib/short-memo.js';

const iso = (d: Date | string) => new Date(d).toISOString();

/** The archive state of an archived or restoring row, as clients see it. */
function archiveView(row: VideoRow): NonNullable<VideoView['archive']> {
  const restoring = row.status === 'restoring';
  return {
    archivedAt: iso(row.archived_at ?? row.updated_at),
    restore: restoring
      ? {
          phase: row.restore_phase ?? 'retrieving',
          requestedAt: iso(row.restore_requested_at ?? row.updated_at),
          etaAt: row.restore_eta_at ? iso(row.restore_eta_at) : null,
        }
      : null,
  };
}

/** Hot metadata is invalidated on every change (VideoEvents); the TTL only bounds memory. */
const VIDEO_TTL_MS = 5 * 60_000;
/** Feed pages are keyed by a generation bumped whenever a video is published or withdrawn. */
const FEED_TTL_MS = 60_000;
/**
 * Anonymous answers (video + counters, feed pages with counters) are the hot path of a
 * public video: they are cached whole. A video's copy is dropped when the video or its
 * counters change; feed pages just live this long (a CDN keeps them 5 s anyway).
 */
const ANONYMOUS_VIEW_TTL_MS = 10_000;
const ANONYMOUS_FEED_TTL_MS = 1_000;
/**
 * Anonymous answers are also kept this long in the process itself, in front of the
 * shared cache (one Redis round trip per burst instead of per request). Changes made
 * in this process drop them at once; another process's change shows this much later.
 */
const ANONYMOUS_LOCAL_TTL_MS = 250;
/**
 * The feed generation is read from the shared cache at most this often per process
 * (a change made in this process resets it at once; other processes see it this late).
 */
const FEED_GENERATION_MEMO_MS = 500;

/**
 * Adds per-request data (fresh counters, the viewer's own flags) to views.
 * Returns new objects: its input may be shared with the cache.
 */
export type ViewDecorator = (views: readonly VideoView[], viewer: PublicUser | null) => Promise<VideoView[]>;

/**
 * Rows by id (missing ones left out) read in the same statement as their decoration, and what applies it to
 * their views without another query.
 */
export type DecoratedRowsReader = (
  ids: readonly string[],
  viewer: PublicUser | null,
) => Promise<{ rows: VideoRow[]; decorate: (views: readonly VideoView[]) => VideoView[] }>;

export interface VideosServiceOptions {
  /** How `viewerId` relates to `ownerId` (follows, blocks). Without it nobody follows and nobody blocks. */
  relation?: (viewerId: string, ownerId: string) => Promise<ViewerRelation>;
  /** People in a block with `viewerId` (either way): their videos leave that viewer's feed. */
  blockedIds?: (viewerId: string) => Promise<ReadonlySet<string>>;
  decorate?: ViewDecorator;
  /** The same decoration read with the rows (one round trip for a page that re-reads its rows: For You). */
  decoratedRows?: DecoratedRowsReader;
}

export class VideosService {
  constructor(
    private readonly repo: VideosRepository,
    private readonly cache: Cache,
    /** Plain URLs for public renditions, signed ones for the rest. */
    private readonly mediaUrls: MediaUrls,
    private readonly opts: VideosServiceOptions = {},
  ) {}

  private readonly anonymousLocal = new ShortMemo<unknown>(ANONYMOUS_LOCAL_TTL_MS, 2_000);

  /** This process changed a video: its anonymous answer here goes too. */
  forgetVideo(id: string): void {
    this.anonymousLocal.delete(anonymousViewKey(id));
  }

  /** Whether `viewer` may see this video at all (in any state); the rule lives in visibility.ts. */
  async canView(row: VideoRow, viewer: PublicUser | null): Promise<boolean> {
    const viewerId = viewer?.id ?? null;
    return canView(row, viewerId, await this.relationTo(row, viewerId));
  }

  private async relationTo(row: VideoRow, viewerId: string | null): Promise<ViewerRelation | null> {
    if (!needsRelation(row, viewerId)) return null;
    return this.opts.relation ? await this.opts.relation(viewerId!, row.owner_id) : NO_RELATION;
  }

  /**
   * The video as `viewer` sees it, with fresh counters and the viewer's own flags.
   * A followers-only video refuses a viewer who does not follow its owner with
   * 403 `followers_only` naming the author (so the app can offer to follow);
   * anything else hidden is a 404 like a missing video.
   */
  async get(id: string, viewer: PublicUser | null): Promise<VideoView> {
    const load = async () => {
      const viewerId = viewer?.id ?? null;
      const row = await this.getCachedRow(id);
      if (!row) throw new AppError('video_not_found', `No video with id "${id}".`);
      const relation = await this.relationTo(row, viewerId);
      if (!canView(row, viewerId, relation)) {
        if (followersOnlyFor(row, viewerId, relation)) {
          throw new AppError('followers_only', `This video is for @${row.owner_username}'s followers. Follow them to watch it.`, {
            author: { id: row.owner_id, username: row.owner_username },
          });
        }
        throw new AppError('video_not_found', `No video with id "${id}".`);
      }
      const [view] = await this.decorate([this.toView(row, viewerId)], viewer);
      return view!;
    };
    // A hidden or missing video throws inside the loader, so refusals are never cached.
    if (viewer) return load();
    const key = anonymousViewKey(id);
    return this.anonymousLocal.get(key, () => this.cache.getOrLoad(key, ANONYMOUS_VIEW_TTL_MS, load)) as Promise<VideoView>;
  }

  /** A video's counters changed (like, comment, share, view): its cached anonymous answer goes. */
  async countersChanged(id: string): Promise<void> {
    this.forgetVideo(id);
    await this.cache.delete(anonymousViewKey(id));
    // Again: a request that read the shared cache before the delete landed may have kept the old answer locally.
    this.forgetVideo(id);
  }

  /** `countersChanged` of many videos in one cache round trip (a batch of playback events counts many views). */
  async countersChangedMany(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    for (const id of ids) this.forgetVideo(id);
    await this.cache.deleteMany(ids.map(anonymousViewKey));
    for (const id of ids) this.forgetVideo(id);
  }

  /** Rows the caller already filtered for `viewer`, as decorated views. */
  async present(rows: readonly VideoRow[], viewer: PublicUser | null): Promise<VideoView[]> {
    return this.decorate(
      rows.map((r) => this.toView(r, viewer?.id ?? null)),
      viewer,
    );
  }

  /**
   * These videos' current rows (missing ids left out) and what presents any of them to `viewer` (as present()
   * does): where the decoration can be read in the same statement as the rows, it is, and presenting them
   * asks nothing more. The caller filters the rows for the viewer first.
   */
  async rowsToPresent(
    ids: readonly string[],
    viewer: PublicUser | null,
  ): Promise<{ rows: VideoRow[]; present: (rows: readonly VideoRow[]) => Promise<VideoView[]> }> {
    const read = this.opts.decoratedRows;
    if (!read) {
      const rows = await this.repo.listByIds(ids);
      return { rows, present: (r) => this.present(r, viewer) };
    }
    const { rows, decorate } = await read(ids, viewer);
    return { rows, present: async (r) => decorate(r.map((row) => this.toView(row, viewer?.id ?? null))) };
  }

  async decorate(views: readonly VideoView[], viewer: PublicUser | null): Promise<VideoView[]> {
    if (!this.opts.decorate || views.length === 0) return [...views];
    return this.opts.decorate(views, viewer);
  }

  /**
   * The video row through the cache, whoever the viewer (callers check access
   * themselves). Single flight per id; a missing id throws inside the loader,
   * so misses are never cached.
   */
  async getCachedRow(id: string): Promise<VideoRow | null> {
    try {
      return await this.cache.getOrLoad(videoCacheKey(id), VIDEO_TTL_MS, async () => {
        const found = await this.repo.get(id);
        if (!found) throw new AppError('video_not_found', `No video with id "${id}".`);
        return found;
      });
    } catch (err) {
      if (err instanceof AppError && err.code === 'video_not_found') return null;
      throw err;
    }
  }

  async getVisibleRow(id: string, viewer: PublicUser | null): Promise<VideoRow> {
    const row = await this.getCachedRow(id);
    // Someone else's unpublished or hidden video looks exactly like a missing one.
    if (!row || !(await this.canView(row, viewer))) throw new AppError('video_not_found', `No video with id "${id}".`);
    return row;
  }

  private feedGeneration: { value: Promise<number>; at: number } | null = null;

  /** Called when this process changed the feed, so the next request reads the new generation. */
  forgetFeedGeneration(): void {
    this.feedGeneration = null;
  }

  /** The feed generation (bumped on every publish or withdrawal, in any process), read at most every FEED_GENERATION_MEMO_MS. */
  currentFeedGeneration(): Promise<number> {
    const now = Date.now();
    if (!this.feedGeneration || now - this.feedGeneration.at > FEED_GENERATION_MEMO_MS) {
      const value = this.cache.get<number>(FEED_GENERATION_KEY).then((g) => g ?? 0);
      this.feedGeneration = { value, at: now };
      value.catch(() => this.forgetFeedGeneration());
    }
    return this.feedGeneration.value;
  }

  async feed(limit: number, cursor?: string, viewer: PublicUser | null = null): Promise<Page<VideoView>> {
    // An empty `cursor=` asks for the first page, as a missing one does.
    const after = afterCursor(cursor || undefined);
    const generation = await this.currentFeedGeneration();
    const decorated = async (): Promise<Page<VideoView>> => {
      const page = await this.cachedFeedPage(generation, limit, cursor, after);
      // The cached page is the same for everyone; a viewer's blocks are taken out per request.
      const blocked = viewer && this.opts.blockedIds ? await this.opts.blockedIds(viewer.id) : null;
      const items = blocked?.size ? page.items.filter((v) => !blocked.has(v.author.id)) : page.items;
      return { items: await this.decorate(items, viewer), nextCursor: page.nextCursor };
    };
    if (viewer) return decorated();
    const key = `feed:anon:${generation}:${limit}:${cursor ?? ''}`;
    return this.anonymousLocal.get(key, () => this.cache.getOrLoad(key, ANONYMOUS_FEED_TTL_MS, decorated)) as Promise<Page<VideoView>>;
  }

  private async cachedFeedPage(
    generation: number,
    limit: number,
    cursor: string | undefined,
    after: KeysetCursor | undefined,
  ): Promise<Page<VideoView>> {
    const key = `feed:${generation}:${limit}:${cursor ?? ''}`;
    return this.cache.getOrLoad(key, FEED_TTL_MS, async () => {
      const page = keysetPage(await this.repo.listPublicFeed(limit + 1, after), limit, (r) => ({ t: isoTime(r.created_at), id: r.id }));
      // Discoverable rows only: plain URLs, the same for everyone.
      return { items: page.items.map((r) => this.toView(r, null)), nextCursor: page.nextCursor };
    });
  }

  /**
   * The API view of a row as `viewerId` sees it: signed playback URLs (of
   * videos that are not publicly servable) are bound to that viewer, and stop
   * answering once they may no longer watch it. The default is the owner
   * (uploads and the owner's own calls).
   */
  toView(row: VideoRow, viewerId: string | null = row.owner_id): VideoView {
    const urlFor = row.media_prefix ? this.mediaUrls.forPrefix(row.media_prefix, isPubliclyServable(row), viewerId) : null;
    const url = (key: string | undefined) => (key && urlFor ? urlFor(key) : null);
    const view: VideoView = {
      id: row.id,
      status: row.status,
      caption: row.caption,
      visibility: row.visibility,
      author: { id: row.owner_id, username: row.owner_username },
      durationMs: row.duration_ms,
      width: row.width,
      height: row.height,
      createdAt: new Date(row.created_at).toISOString(),
      progress: row.status === 'ready' ? 1 : row.progress,
      playback:
        row.playback && (row.status === 'processing' || row.status === 'ready')
          ? { hls: url(row.playback.hls), mp4: url(row.playback.mp4), poster: url(row.playback.poster) }
          : row.playback && isArchivedStatus(row.status)
            ? // Archived: the poster stays, nothing plays until a restore.
              { hls: null, mp4: null, poster: url(row.playback.poster) }
            : null,
      hashtags: row.hashtags ?? [],
      mentions: row.mentions ?? [],
      commentsEnabled: row.comments_enabled ?? true,
      archive: isArchivedStatus(row.status) ? archiveView(row) : null,
    };
    if (viewerId !== null && viewerId === row.owner_id) {
      view.archivePinned = row.archive_pinned ?? false;
      if (view.archive && row.archive_error) view.archive.lastError = row.archive_error;
    }
    if (row.cover_time_ms !== null && row.cover_time_ms !== undefined) view.coverTimeMs = row.cover_time_ms;
    // Only the owner ever sees a video that is not published (visibility.ts); absent means published.
    const publication = publicationOf(row);
    if (publication !== 'published') view.publication = publication;
    if (publication === 'scheduled') view.publishAt = new Date(row.publish_at!).toISOString();
    if (row.status === 'failed') {
      view.error = { code: row.error_code ?? 'processing_failed', message: row.error_message ?? 'Processing failed.' };
    }
    return view;
  }
}
