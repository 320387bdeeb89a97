import { AppError } from '../../errors.js';
import type { KeysetCursor } from '../../lib/cursor.js';
import type { PublicUser } from '../accounts/user.types.js';
import { isForeignKeyViolation } from '../../lib/db-errors.js';
import { keysetSql } from '../../lib/pagination.js';
import type { SqlExecutor } from '../../ports/database.js';
import type { VideoRow } from '../videos/video.types.js';
import { VIDEO_COLUMNS } from '../videos/videos.repository.js';
import type { DecoratedRowsReader, ViewDecorator } from '../videos/videos.service.js';
import type { VideoStats, VideoView } from '../videos/videos.schema.js';
import { listedSql, viewableSql } from '../videos/visibility.js';

export interface VideoEngagement extends VideoStats {
  liked: boolean;
  bookmarked: boolean;
  followsAuthor: boolean;
  /** Read fresh with the counters: only the owner still sees a taken-down video, with this. */
  takedown: { reason: string; at: string } | null;
}

const STATS_ZERO: VideoStats = { views: 0, likes: 0, comments: 0, shares: 0 };

/** The video disappeared between the access check and the write. */
async function videoMustExist<T>(videoId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isForeignKeyViolation(err)) throw new AppError('video_not_found', `No video with id "${videoId}".`);
    throw err;
  }
}

/**
 * Likes, bookmarks and shares, and the per-video counters in video_stats.
 * Each write is ONE statement: the row insert/delete and the counter change
 * happen together, and the counter moves only when a row was really added or
 * removed (INSERT … ON CONFLICT DO NOTHING / DELETE … RETURNING), so duplicate
 * and concurrent requests keep the counts exact.
 */
export class EngagementRepository {
  constructor(private readonly db: SqlExecutor) {}

  async like(videoId: string, userId: string): Promise<number> {
    return videoMustExist(videoId, async () => {
      await this.db.query(
        `WITH ins AS (
           INSERT INTO video_likes (video_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING video_id
         )
         INSERT INTO video_stats (video_id, likes) SELECT video_id, 1 FROM ins
         ON CONFLICT (video_id) DO UPDATE SET likes = video_stats.likes + 1`,
        [videoId, userId],
      );
      return (await this.stats(videoId)).likes;
    });
  }

  async unlike(videoId: string, userId: string): Promise<number> {
    await this.db.query(
      `WITH del AS (DELETE FROM video_likes WHERE video_id = $1 AND user_id = $2 RETURNING video_id)
       UPDATE video_stats s SET likes = s.likes - 1 FROM del WHERE s.video_id = del.video_id`,
      [videoId, userId],
    );
    return (await this.stats(videoId)).likes;
  }

  async bookmark(videoId: string, userId: string): Promise<void> {
    await videoMustExist(videoId, () =>
      this.db.query('INSERT INTO bookmarks (user_id, video_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, videoId]),
    );
  }

  async unbookmark(videoId: string, userId: string): Promise<void> {
    await this.db.query('DELETE FROM bookmarks WHERE user_id = $1 AND video_id = $2', [userId, videoId]);
  }

  /** Records one share (anonymous ones too); returns the new share count. */
  async share(videoId: string, userId: string | null): Promise<number> {
    return videoMustExist(videoId, async () => {
      const r = await this.db.query<{ shares: number }>(
        `WITH ins AS (INSERT INTO video_shares (video_id, user_id) VALUES ($1, $2) RETURNING video_id)
         INSERT INTO video_stats (video_id, shares) SELECT video_id, 1 FROM ins
         ON CONFLICT (video_id) DO UPDATE SET shares = video_stats.shares + 1
         RETURNING shares`,
        [videoId, userId],
      );
      return r.rows[0]?.shares ?? 0;
    });
  }

  /** The user's bookmarked videos they may still see, most recently bookmarked first. */
  async listBookmarks(userId: string, limit: number, after?: KeysetCursor): Promise<Array<VideoRow & { bookmarked_at: Date }>> {
    const page = keysetSql({ time: 'b.created_at', id: 'b.video_id' }, after, [userId, limit]);
    const r = await this.db.query<VideoRow & { bookmarked_at: Date }>(
      `SELECT ${VIDEO_COLUMNS}, b.created_at AS bookmarked_at FROM videos v JOIN users u ON u.id = v.owner_id
       JOIN bookmarks b ON b.video_id = v.id AND b.user_id = $1
       WHERE ${viewableSql('v', '$1')}${page.and}
       ORDER BY ${page.orderBy} LIMIT $2`,
      page.params,
    );
    return r.rows;
  }

  /**
   * The videos `ownerId` liked, most recently liked first, as `viewerId` may
   * see them listed: only what the owner may still see, and of that, for
   * anyone but the owner, only what the viewer would see on the author's
   * profile (no private, followers-only unless they follow, unlisted, taken
   * down, or from someone in a block with them).
   */
  async listLiked(
    ownerId: string,
    viewerId: string | null,
    limit: number,
    after?: KeysetCursor,
  ): Promise<Array<VideoRow & { liked_at: Date }>> {
    // Likes are stamped in microseconds; the cursor carries milliseconds, so the keyset is on the truncated time.
    const likedAt = "date_trunc('milliseconds', l.created_at)";
    const page = keysetSql({ time: likedAt, id: 'l.video_id' }, after, [ownerId, limit, viewerId]);
    const r = await this.db.query<VideoRow & { liked_at: Date }>(
      `SELECT ${VIDEO_COLUMNS}, ${likedAt} AS liked_at FROM videos v JOIN users u ON u.id = v.owner_id
       JOIN video_likes l ON l.video_id = v.id AND l.user_id = $1
       WHERE ${viewableSql('v', '$1')} AND ($3::text = $1 OR ${listedSql('v', '$3')})${page.and}
       ORDER BY ${page.orderBy} LIMIT $2`,
      page.params,
    );
    return r.rows;
  }

  async stats(videoId: string): Promise<VideoStats> {
    const r = await this.db.query<VideoStats>('SELECT views, likes, comments, shares FROM video_stats WHERE video_id = $1', [videoId]);
    const row = r.rows[0];
    return row ? numeric(row) : { ...STATS_ZERO };
  }

  /** Counters of many videos and, for a signed-in viewer, their own flags; one round trip. */
  async engagement(videos: ReadonlyArray<{ id: string; ownerId: string }>, viewerId: string | null): Promise<Map<string, VideoEngagement>> {
    const r = await this.db.query<EngagementColumns & { id: string }>(
      `SELECT x.id, ${engagementColumns('x.id', 'x.owner_id', viewerId === null ? null : '$3')}, tv.taken_down_at, tv.takedown_reason
       FROM unnest($1::text[], $2::text[]) AS x(id, owner_id)
       LEFT JOIN video_stats s ON s.video_id = x.id
       LEFT JOIN videos tv ON tv.id = x.id`,
      [videos.map((v) => v.id), videos.map((v) => v.ownerId), ...(viewerId === null ? [] : [viewerId])],
      // Every page of every feed: planned once per connection (anonymous and signed-in apart: see rowsWithEngagement).
      { prepare: viewerId === null ? 'social_engagement_anonymous' : 'social_engagement' },
    );
    return new Map(r.rows.map((row) => [row.id, toEngagement(row)]));
  }

  /**
   * These videos' rows (missing ids left out) and their engagement for the viewer, in one statement: what a
   * page that must re-read its rows anyway (For You's re-check) would otherwise ask in two round trips.
   */
  async rowsWithEngagement(
    ids: readonly string[],
    viewerId: string | null,
  ): Promise<{ rows: VideoRow[]; engagement: Map<string, VideoEngagement> }> {
    if (ids.length === 0) return { rows: [], engagement: new Map() };
    // Anonymous and signed-in as two statements: one statement taking a NULL viewer is planned afresh on every
    // call, for ever (PostgreSQL's custom plan, with the flags folded away, keeps looking cheaper than the generic
    // one: pg_prepared_statements counted 24 custom plans in 24 calls).
    const r = await this.db.query<VideoRow & EngagementColumns>(
      `SELECT ${VIDEO_COLUMNS}, ${engagementColumns('v.id', 'v.owner_id', viewerId === null ? null : '$2')}
       FROM videos v JOIN users u ON u.id = v.owner_id LEFT JOIN video_stats s ON s.video_id = v.id
       WHERE v.id = ANY($1::text[])`,
      viewerId === null ? [ids] : [ids, viewerId],
      // Every For You page (its re-check): planned once per connection.
      { prepare: viewerId === null ? 'social_rows_with_engagement_anonymous' : 'social_rows_with_engagement' },
    );
    return { rows: r.rows, engagement: new Map(r.rows.map((row) => [row.id, toEngagement(row)])) };
  }
}

/** What engagementColumns selects, with the takedown columns of the video's row. */
type EngagementColumns = VideoStats & {
  liked: boolean;
  bookmarked: boolean;
  follows_author: boolean;
  taken_down_at: Date | null;
  takedown_reason: string | null;
};

/**
 * The counters (video_stats joined as `s`) and the viewer's own flags of the video `id` by `owner`, for the viewer
 * in the text parameter `viewer` (NULL at run time: every flag false; `null`: an anonymous statement's constants).
 */
function engagementColumns(id: string, owner: string, viewer: string | null): string {
  const counters = `COALESCE(s.views, 0) AS views, COALESCE(s.likes, 0) AS likes,
          COALESCE(s.comments, 0) AS comments, COALESCE(s.shares, 0) AS shares`;
  if (viewer === null) return `${counters}, false AS liked, false AS bookmarked, false AS follows_author`;
  return `${counters},
          (${viewer}::text IS NOT NULL AND EXISTS (SELECT 1 FROM video_likes l WHERE l.video_id = ${id} AND l.user_id = ${viewer}::text)) AS liked,
          (${viewer}::text IS NOT NULL AND EXISTS (SELECT 1 FROM bookmarks b WHERE b.video_id = ${id} AND b.user_id = ${viewer}::text)) AS bookmarked,
          (${viewer}::text IS NOT NULL AND EXISTS (SELECT 1 FROM follows f WHERE f.followee_id = ${owner} AND f.follower_id = ${viewer}::text)) AS follows_author`;
}

function toEngagement(row: EngagementColumns): VideoEngagement {
  return {
    ...numeric(row),
    liked: row.liked,
    bookmarked: row.bookmarked,
    followsAuthor: row.follows_author,
    takedown: row.taken_down_at ? { reason: row.takedown_reason ?? '', at: new Date(row.taken_down_at).toISOString() } : null,
  };
}

/** Just the counters of a stats row (both database adapters hand bigints over as numbers). */
function numeric(row: VideoStats): VideoStats {
  return { views: row.views, likes: row.likes, comments: row.comments, shares: row.shares };
}

/** VideosService's decorator: fresh counters on every view, the viewer's own flags when signed in. */
export function engagementDecorator(repo: EngagementRepository): ViewDecorator {
  return async (views, viewer) => {
    const data = await repo.engagement(
      views.map((v) => ({ id: v.id, ownerId: v.author.id })),
      viewer?.id ?? null,
    );
    return withEngagement(views, viewer, data);
  };
}

/** VideosService's rows read with their decoration (engagementDecorator's, from the same statement as the rows). */
export function engagementRowsReader(repo: EngagementRepository): DecoratedRowsReader {
  return async (ids, viewer) => {
    const { rows, engagement } = await repo.rowsWithEngagement(ids, viewer?.id ?? null);
    return { rows, decorate: (views) => withEngagement(views, viewer, engagement) };
  };
}

function withEngagement(views: readonly VideoView[], viewer: PublicUser | null, data: ReadonlyMap<string, VideoEngagement>): VideoView[] {
  return views.map((v) => {
    const e = data.get(v.id);
    const decorated: VideoView = {
      ...v,
      stats: { views: e?.views ?? 0, likes: e?.likes ?? 0, comments: e?.comments ?? 0, shares: e?.shares ?? 0 },
    };
    if (viewer) {
      decorated.viewer = { liked: e?.liked ?? false, bookmarked: e?.bookmarked ?? false, followsAuthor: e?.followsAuthor ?? false };
    }
    if (e?.takedown) decorated.takedown = e.takedown;
    return decorated;
  });
}
