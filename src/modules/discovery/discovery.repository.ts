import type { KeysetCursor } from '../../lib/cursor.js';
import { keysetSql } from '../../lib/pagination.js';
import type { SqlExecutor } from '../../ports/database.js';
import type { UserSummaryRow } from '../accounts/user.types.js';
import type { VideoRow } from '../videos/video.types.js';
import { VIDEO_COLUMNS, VIDEO_KEYSET } from '../videos/videos.repository.js';
import { discoverableSql, userVisibleSql } from '../videos/visibility.js';

/** How much each kind of engagement inside the window weighs in the trending score. */
export const TRENDING_WEIGHTS = { views: 1, likes: 4, comments: 6, shares: 8 } as const;

/** LIKE pattern for "starts with `prefix`", with LIKE's wildcards escaped. */
export const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const FROM_VIDEOS = 'FROM videos v JOIN users u ON u.id = v.owner_id';

/**
 * `scored (video_id, score)`: each video's weighted engagement since the
 * timestamp in `since` (a placeholder), counted as trending counts it.
 */
const scoredSince = (since: string): string => {
  const w = TRENDING_WEIGHTS;
  return `engagement AS (
      SELECT video_id, (count(*) FILTER (WHERE address IS NULL) + count(DISTINCT address)) * ${w.views} AS score
      FROM video_views WHERE created_at > ${since} GROUP BY video_id
      UNION ALL
      SELECT video_id, count(*) * ${w.likes} FROM video_likes WHERE created_at > ${since} GROUP BY video_id
      UNION ALL
      SELECT video_id, count(*) * ${w.comments} FROM comments WHERE created_at > ${since} GROUP BY video_id
      UNION ALL
      SELECT video_id, count(*) * ${w.shares} FROM video_shares WHERE created_at > ${since} GROUP BY video_id
    ), scored AS (
      SELECT video_id, sum(score) AS score FROM engagement GROUP BY video_id
    )`;
};

export interface TrendingCreatorRow extends UserSummaryRow {
  follower_count: number;
}

/**
 * Search, hashtag lists and trending. Everything here lists discoverable
 * videos only (ready and public): unlisted, followers-only and private videos
 * never appear in discovery. Text search is PostgreSQL full-text search with
 * the 'simple' configuration (no stemming: captions and names come in every
 * language), queried with websearch_to_tsquery and ranked with ts_rank; the
 * same SQL runs on PGlite and PostgreSQL.
 */
export class DiscoveryRepository {
  constructor(private readonly db: SqlExecutor) {}

  async searchUsers(q: string, usernamePrefix: string, limit: number, viewerId: string | null = null): Promise<UserSummaryRow[]> {
    const r = await this.db.query<UserSummaryRow>(
      `SELECT u.id, u.username, u.display_name, u.avatar_key
       FROM users u CROSS JOIN websearch_to_tsquery('simple', $1) AS q
       WHERE (to_tsvector('simple', u.username || ' ' || u.display_name) @@ q
          OR lower(u.username) LIKE $2 ESCAPE '\\') AND ${userVisibleSql('u', '$5')}
       ORDER BY lower(u.username) = lower($3) DESC,
                ts_rank(to_tsvector('simple', u.username || ' ' || u.display_name), q) DESC,
                u.follower_count DESC, u.id
       LIMIT $4`,
      [q, likePrefix(usernamePrefix.toLowerCase()), usernamePrefix, limit, viewerId],
    );
    return r.rows;
  }

  /** Captions (hashtags included: "#praia" in a caption is the word "praia"), best match first. */
  async searchVideos(q: string, limit: number, viewerId: string | null = null): Promise<VideoRow[]> {
    const r = await this.db.query<VideoRow>(
      `SELECT ${VIDEO_COLUMNS} ${FROM_VIDEOS} CROSS JOIN websearch_to_tsquery('simple', $1) AS q
       WHERE ${discoverableSql('v', '$3')} AND to_tsvector('simple', v.caption) @@ q
       ORDER BY ts_rank(to_tsvector('simple', v.caption), q) DESC, v.created_at DESC, v.id DESC
       LIMIT $2`,
      [q, limit, viewerId],
    );
    return r.rows;
  }

  /** Tags starting with `prefix`, the exact tag first, then by how many discoverable videos use them. */
  async searchHashtags(prefix: string, limit: number): Promise<Array<{ tag: string; videos: number }>> {
    const r = await this.db.query<{ tag: string; videos: number }>(
      `SELECT h.tag, count(*)::int AS videos
       FROM video_hashtags h JOIN videos v ON v.id = h.video_id
       WHERE h.tag LIKE $1 ESCAPE '\\' AND ${discoverableSql('v')}
       GROUP BY h.tag
       ORDER BY h.tag = $2 DESC, count(*) DESC, h.tag
       LIMIT $3`,
      [likePrefix(prefix), prefix, limit],
    );
    return r.rows;
  }

  async listByHashtag(tag: string, limit: number, after?: KeysetCursor, viewerId: string | null = null): Promise<VideoRow[]> {
    const page = keysetSql(VIDEO_KEYSET, after, [tag, limit, viewerId]);
    const r = await this.db.query<VideoRow>(
      `SELECT ${VIDEO_COLUMNS} ${FROM_VIDEOS} JOIN video_hashtags h ON h.video_id = v.id AND h.tag = $1
       WHERE ${discoverableSql('v', '$3')}${page.and}
       ORDER BY ${page.orderBy} LIMIT $2`,
      page.params,
    );
    return r.rows;
  }

  /**
   * Discoverable videos ranked by weighted engagement since `since` (views,
   * likes, comments and shares that happened inside the window), newest first
   * among equals. Returns ids only: pages are cut from this ranking.
   *
   * Views count signed-in viewers one each, anonymous ones by distinct
   * client address (the `address` tag of their view rows): device ids are
   * free to rotate, addresses are not, so one address moves a video by at
   * most one view's weight here whatever it sends. Rows from before
   * addresses were recorded (address null) count one each.
   */
  async trendingIds(since: Date, limit: number): Promise<string[]> {
    const w = TRENDING_WEIGHTS;
    const r = await this.db.query<{ id: string }>(
      `WITH engagement AS (
         SELECT video_id, (count(*) FILTER (WHERE address IS NULL) + count(DISTINCT address)) * ${w.views} AS score
         FROM video_views WHERE created_at > $1 GROUP BY video_id
         UNION ALL
         SELECT video_id, count(*) * ${w.likes} FROM video_likes WHERE created_at > $1 GROUP BY video_id
         UNION ALL
         SELECT video_id, count(*) * ${w.comments} FROM comments WHERE created_at > $1 GROUP BY video_id
         UNION ALL
         SELECT video_id, count(*) * ${w.shares} FROM video_shares WHERE created_at > $1 GROUP BY video_id
       ), scored AS (
         SELECT video_id, sum(score) AS score FROM engagement GROUP BY video_id
       )
       SELECT v.id FROM scored s JOIN videos v ON v.id = s.video_id
       WHERE ${discoverableSql('v')}
       ORDER BY s.score DESC, v.created_at DESC, v.id DESC
       LIMIT $2`,
      [since, limit],
    );
    return r.rows.map((row) => row.id);
  }

  /**
   * People whose username, or a word of whose display name, starts with
   * `prefix` (lowercased; LIKE's wildcards in it match only themselves), the
   * exact username first, then usernames before names, then the most followed.
   */
  /** Which of `ids` the viewer marked "Not interested" (they leave that viewer's trending too). */
  async notInterestedAmong(viewerId: string, ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const r = await this.db.query<{ video_id: string }>(
      `SELECT video_id FROM video_not_interested WHERE user_id = $1 AND video_id = ANY($2::text[])`,
      [viewerId, ids],
    );
    return new Set(r.rows.map((row) => row.video_id));
  }

  async suggestUsers(prefix: string, limit: number, viewerId: string | null): Promise<UserSummaryRow[]> {
    const r = await this.db.query<UserSummaryRow>(
      `SELECT u.id, u.username, u.display_name, u.avatar_key FROM users u
       WHERE (lower(u.username) LIKE $1 ESCAPE '\\' OR lower(u.display_name) LIKE $1 ESCAPE '\\'
              OR lower(u.display_name) LIKE $2 ESCAPE '\\')
         AND ${userVisibleSql('u', '$5')}
       ORDER BY lower(u.username) = $3 DESC, lower(u.username) LIKE $1 ESCAPE '\\' DESC, u.follower_count DESC, u.id
       LIMIT $4`,
      [likePrefix(prefix), `% ${likePrefix(prefix)}`, prefix, limit, viewerId],
    );
    return r.rows;
  }

  /**
   * Hashtags of discoverable videos, those whose videos drew the most
   * engagement since `since` first, then the most used (so a quiet instance
   * still shows its tags).
   */
  async trendingHashtags(since: Date, limit: number): Promise<Array<{ tag: string; videos: number }>> {
    const r = await this.db.query<{ tag: string; videos: number }>(
      `WITH ${scoredSince('$1')}
       SELECT h.tag, count(*)::int AS videos
       FROM video_hashtags h JOIN videos v ON v.id = h.video_id LEFT JOIN scored s ON s.video_id = v.id
       WHERE ${discoverableSql('v')}
       GROUP BY h.tag
       ORDER BY COALESCE(sum(s.score), 0) DESC, count(*) DESC, h.tag
       LIMIT $2`,
      [since, limit],
    );
    return r.rows;
  }

  /**
   * People with discoverable videos, those whose videos drew the most
   * engagement since `since` first, then the most followed; banned accounts
   * never (blocks are per viewer: the service leaves those out).
   */
  async trendingCreators(since: Date, limit: number): Promise<TrendingCreatorRow[]> {
    const r = await this.db.query<TrendingCreatorRow>(
      `WITH ${scoredSince('$1')}
       SELECT u.id, u.username, u.display_name, u.avatar_key, u.follower_count
       FROM users u JOIN videos v ON v.owner_id = u.id LEFT JOIN scored s ON s.video_id = v.id
       WHERE ${discoverableSql('v')} AND ${userVisibleSql('u')}
       GROUP BY u.id, u.username, u.display_name, u.avatar_key, u.follower_count
       ORDER BY COALESCE(sum(s.score), 0) DESC, u.follower_count DESC, u.id
       LIMIT $2`,
      [since, limit],
    );
    return r.rows;
  }
}
