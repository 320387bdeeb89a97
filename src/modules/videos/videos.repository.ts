import type { KeysetCursor } from '../../lib/cursor.js';
import { keysetSql, type KeysetColumns } from '../../lib/pagination.js';
import type { SqlExecutor } from '../../ports/database.js';
import type { PipelineRendition } from '../media/pipeline.js';
import { storedStatuses, transitionGuard, type VideoFailure, type VideoState } from '../processing/video-lifecycle.js';
import { parseCaption } from './caption.js';
import type { PlaybackKeys, VideoRow, Visibility } from './video.types.js';
import { discoverableSql, listedSql, mentionLinkedSql } from './visibility.js';

/** Fields the owner may edit after upload. */
export interface VideoDetailsPatch {
  caption?: string;
  visibility?: Visibility;
  commentsEnabled?: boolean;
}

/** What deleting a video leaves to clean up in storage. */
export interface DeletedVideo {
  id: string;
  owner_id: string;
  original_key: string;
  multipart_upload_id: string | null;
}

export interface NewVideo {
  id: string;
  ownerId: string;
  caption: string;
  visibility: Visibility;
  originalKey: string;
  originalFilename: string;
  contentType: string;
  declaredSize: number;
  multipartUploadId: string | null;
  uploadExpiresAt: Date;
  /** Published from then on ('now': the database's now); null: a draft. */
  publishAt: Date | null | 'now';
  /** A cover frame the owner chose up front (applied once ready). */
  requestedCoverMs?: number | null;
}

/** What the owner's stats read: the counters, and watch time from the playback events still kept. */
export interface CreatorStatsRow {
  video_id: string;
  views: string | number;
  likes: string | number;
  comments: string | number;
  shares: string | number;
  viewers: string | number;
  average_watch_ms: string | number | null;
  total_watch_ms: string | number;
  duration_ms: number | null;
}

/** What the renditions table keeps of a pipeline rendition (its playlist key is derivable). */
export type RenditionRecord = Omit<PipelineRendition, 'playlist'>;

/**
 * Columns of a VideoRow, for `FROM videos v JOIN users u ON u.id = v.owner_id`.
 * Mentions are stored for every account a caption names and filtered here
 * (bans, blocks), so blocking or unblocking needs no rewrite of captions.
 */
export const VIDEO_COLUMNS = `v.*, u.username AS owner_username, u.banned_at IS NOT NULL AS owner_banned,
  ARRAY(SELECT h.tag FROM video_hashtags h WHERE h.video_id = v.id ORDER BY h.position) AS hashtags,
  COALESCE((SELECT json_agg(json_build_object('id', mu.id, 'username', mu.username) ORDER BY m.position)
            FROM video_mentions m JOIN users mu ON mu.id = m.user_id
            WHERE m.video_id = v.id AND ${mentionLinkedSql('mu', 'v.owner_id')}), '[]'::json) AS mentions`;
export const VIDEO_SELECT = `SELECT ${VIDEO_COLUMNS} FROM videos v JOIN users u ON u.id = v.owner_id`;
const SELECT = VIDEO_SELECT;
/** Video lists page newest first on (created_at, id). */
export const VIDEO_KEYSET: KeysetColumns = { time: 'v.created_at', id: 'v.id' };

/** Where a guarded state change runs, and which processing attempt must still own the video. */
export interface TransitionOptions {
  executor?: SqlExecutor;
  /** Also require this processing attempt to still own the video (see startProcessingAttempt). */
  attemptPrefix?: string;
}

export class VideosRepository {
  constructor(private readonly db: SqlExecutor) {}

  async insert(v: NewVideo, executor: SqlExecutor = this.db): Promise<void> {
    await executor.query(
      `INSERT INTO videos (id, owner_id, status, caption, visibility, original_key, original_filename,
                           content_type, declared_size, multipart_upload_id, upload_expires_at, publish_at, requested_cover_ms)
       VALUES ($1, $2, 'uploading', $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $13 THEN now() ELSE $11::timestamptz END, $12)`,
      [
        v.id,
        v.ownerId,
        v.caption,
        v.visibility,
        v.originalKey,
        v.originalFilename,
        v.contentType,
        v.declaredSize,
        v.multipartUploadId,
        v.uploadExpiresAt,
        v.publishAt === 'now' ? null : v.publishAt,
        v.requestedCoverMs ?? null,
        v.publishAt === 'now',
      ],
    );
  }

  async get(id: string, executor: SqlExecutor = this.db): Promise<VideoRow | null> {
    const r = await executor.query<VideoRow>(`${SELECT} WHERE v.id = $1`, [id]);
    return r.rows[0] ?? null;
  }

  /**
   * The single guarded state change, for a move the video lifecycle allows
   * (video-lifecycle.ts): succeeds only if the video is still in one of
   * `from`, so a duplicate event or a retried job never moves it back.
   * Returns the updated row, or null when the guard did not match.
   */
  async transition(
    id: string,
    from: readonly VideoState[],
    to: Exclude<VideoState, 'failed' | 'deleted'>,
    patch: Partial<Record<TransitionColumn, unknown>> = {},
    opts: TransitionOptions = {},
  ): Promise<VideoRow | null> {
    return this.update(id, from, to, patch, opts);
  }

  /**
   * Moves the video to `failed` with the reason its owner sees; withdraws its
   * playback (a failed video has none). Guarded like `transition`.
   */
  async fail(id: string, from: readonly VideoState[], failure: VideoFailure, opts: TransitionOptions = {}): Promise<VideoRow | null> {
    return this.update(id, from, 'failed', { error_code: failure.code, error_message: failure.message, playback: null }, opts);
  }

  private async update(
    id: string,
    from: readonly VideoState[],
    to: Exclude<VideoState, 'deleted'>,
    patch: Partial<Record<UpdatableColumn, unknown>>,
    { executor = this.db, attemptPrefix }: TransitionOptions,
  ): Promise<VideoRow | null> {
    const guard = transitionGuard(from, to);
    const cols = Object.keys(patch) as UpdatableColumn[];
    for (const c of cols) if (!UPDATABLE_COLUMNS.has(c)) throw new Error(`not an updatable column: ${c}`);
    const sets = cols.map((c, i) => `${c} = $${i + 5}`);
    const r = await executor.query<{ id: string }>(
      `UPDATE videos SET status = $2, updated_at = now()${sets.length ? ', ' + sets.join(', ') : ''}
       WHERE id = $1 AND status = ANY($3::text[]) AND ($4::text IS NULL OR media_prefix = $4::text) RETURNING id`,
      [id, guard.to, guard.from, attemptPrefix ?? null, ...cols.map((c) => (c === 'playback' ? JSON.stringify(patch[c]) : patch[c]))],
    );
    if (r.rowCount === 0) return null;
    return this.get(id, executor);
  }

  async extendUploadDeadline(id: string, until: Date): Promise<void> {
    await this.db.query(`UPDATE videos SET upload_expires_at = GREATEST(upload_expires_at, $2) WHERE id = $1 AND status = 'uploading'`, [
      id,
      until,
    ]);
  }

  /** Progress only moves forward, only while processing, and only for the attempt that owns the video. */
  async setProgress(id: string, progress: number, attemptPrefix: string): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE videos SET progress = $2, updated_at = now()
       WHERE id = $1 AND status = 'processing' AND media_prefix = $3 AND progress < $2`,
      [id, progress, attemptPrefix],
    );
    return r.rowCount > 0;
  }

  /** A processing attempt takes the video over under its own media prefix (a retry withdraws the previous attempt's playback). */
  async startProcessingAttempt(id: string, mediaPrefix: string): Promise<VideoRow | null> {
    return this.transition(id, ['uploaded', 'processing', 'playable'], 'processing', {
      media_prefix: mediaPrefix,
      progress: 0,
      playback: null,
      playable_at: null,
      // The new attempt cuts its own automatic poster.
      cover_time_ms: null,
    });
  }

  /** The attempt that owns the video published its lowest rung: `playable` (stored as processing with playback). */
  async markPlayable(id: string, playback: PlaybackKeys, attemptPrefix: string): Promise<boolean> {
    const guard = transitionGuard(['processing', 'playable'], 'playable');
    const r = await this.db.query(
      `UPDATE videos SET status = $4, playback = $2, playable_at = COALESCE(playable_at, now()), updated_at = now()
       WHERE id = $1 AND status = ANY($5::text[]) AND media_prefix = $3`,
      [id, JSON.stringify(playback), attemptPrefix, guard.to, guard.from],
    );
    return r.rowCount > 0;
  }

  async replaceRenditions(videoId: string, renditions: readonly RenditionRecord[], executor: SqlExecutor = this.db): Promise<void> {
    await executor.query('DELETE FROM renditions WHERE video_id = $1', [videoId]);
    for (const r of renditions) {
      await executor.query(
        `INSERT INTO renditions (video_id, name, width, height, bandwidth, average_bandwidth, codecs, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [videoId, r.name, r.width, r.height, r.bandwidth, r.averageBandwidth, r.codecs, r.bytes],
      );
    }
  }

  async listRenditions(videoId: string): Promise<RenditionRecord[]> {
    const r = await this.db.query<{
      name: string;
      width: number;
      height: number;
      bandwidth: number;
      average_bandwidth: number;
      codecs: string;
      bytes: string | number;
    }>('SELECT * FROM renditions WHERE video_id = $1 ORDER BY height DESC', [videoId]);
    return r.rows.map((x) => ({
      name: x.name,
      width: x.width,
      height: x.height,
      bandwidth: x.bandwidth,
      averageBandwidth: x.average_bandwidth,
      codecs: x.codecs,
      bytes: Number(x.bytes),
    }));
  }

  /** Uploads still waiting for their bytes, oldest first (the reconciler checks storage for them). */
  async listUploading(olderThanSec: number, limit: number): Promise<VideoRow[]> {
    const r = await this.db.query<VideoRow>(
      `${SELECT} WHERE v.status = 'uploading' AND v.created_at < now() - make_interval(secs => $1)
       ORDER BY v.created_at LIMIT $2`,
      [olderThanSec, limit],
    );
    return r.rows;
  }

  /**
   * Videos that should be moving through processing but have not changed for
   * `quietForSec` (a running attempt reports progress), by id after
   * `afterId`. The reconciler asks the job queue which of them still have a job.
   */
  async listQuietInProcessing(quietForSec: number, limit: number, afterId = ''): Promise<string[]> {
    const r = await this.db.query<{ id: string }>(
      `SELECT v.id FROM videos v WHERE v.status = ANY($1::text[]) AND v.updated_at < now() - make_interval(secs => $2) AND v.id > $3
       ORDER BY v.id LIMIT $4`,
      [storedStatuses(['uploaded', 'processing', 'playable']), quietForSec, afterId, limit],
    );
    return r.rows.map((row) => row.id);
  }

  /** Discoverable videos (ready, public, not withdrawn), newest first, keyset-paginated on (created_at, id). */
  async listPublicFeed(limit: number, after?: KeysetCursor): Promise<VideoRow[]> {
    const page = keysetSql(VIDEO_KEYSET, after, [limit]);
    const r = await this.db.query<VideoRow>(
      `${SELECT} WHERE ${discoverableSql('v')}${page.and} ORDER BY ${page.orderBy} LIMIT $1`,
      page.params,
    );
    return r.rows;
  }

  /**
   * Stores what the caption links to: its hashtags, and its @mentions that
   * name existing accounts. Call in the transaction that saves the caption.
   */
  async setCaptionLinks(videoId: string, caption: string, executor: SqlExecutor = this.db): Promise<void> {
    const { hashtags, mentions } = parseCaption(caption);
    await executor.query('DELETE FROM video_hashtags WHERE video_id = $1', [videoId]);
    await executor.query('DELETE FROM video_mentions WHERE video_id = $1', [videoId]);
    if (hashtags.length > 0) {
      await executor.query(
        `INSERT INTO video_hashtags (video_id, tag, position)
         SELECT $1::text, x.tag, x.pos FROM unnest($2::text[]) WITH ORDINALITY AS x(tag, pos)`,
        [videoId, hashtags],
      );
    }
    if (mentions.length > 0) {
      await executor.query(
        `INSERT INTO video_mentions (video_id, user_id, position)
         SELECT $1::text, u.id, min(x.pos) FROM unnest($2::text[]) WITH ORDINALITY AS x(name, pos)
         JOIN users u ON lower(u.username) = x.name
         GROUP BY u.id`,
        [videoId, mentions],
      );
    }
  }

  /** Applies the owner's edits; returns false when the video is gone. */
  async updateDetails(id: string, patch: VideoDetailsPatch, executor: SqlExecutor = this.db): Promise<boolean> {
    const r = await executor.query(
      `UPDATE videos SET caption = COALESCE($2, caption), visibility = COALESCE($3, visibility),
              comments_enabled = COALESCE($4, comments_enabled), updated_at = now()
       WHERE id = $1`,
      [id, patch.caption ?? null, patch.visibility ?? null, patch.commentsEnabled ?? null],
    );
    if (r.rowCount === 0) return false;
    if (patch.caption !== undefined) await this.setCaptionLinks(id, patch.caption, executor);
    return true;
  }

  /**
   * Points the video's poster at `posterKey` (relative to its media prefix),
   * taken at `coverTimeMs`, provided the same processing attempt still owns
   * the video (`mediaPrefix`) and it is ready. Locks the row, so concurrent
   * choices are applied one after the other; returns the poster key it
   * replaced (for the caller to delete after the commit), or null when the
   * guard did not match (nothing changed).
   */
  async setCover(
    id: string,
    mediaPrefix: string,
    posterKey: string,
    coverTimeMs: number,
    executor: SqlExecutor = this.db,
  ): Promise<{ previous: string | null } | null> {
    const locked = await executor.query<{ poster: string | null }>(
      `SELECT playback->>'poster' AS poster FROM videos
       WHERE id = $1 AND media_prefix = $2 AND status = 'ready' AND playback IS NOT NULL FOR UPDATE`,
      [id, mediaPrefix],
    );
    const row = locked.rows[0];
    if (!row) return null;
    await executor.query(
      `UPDATE videos SET playback = jsonb_set(playback, '{poster}', to_jsonb($2::text)), cover_time_ms = $3,
              updated_at = now()
       WHERE id = $1`,
      [id, posterKey, coverTimeMs],
    );
    return { previous: row.poster };
  }

  /**
   * Sets when the video is published (null: a draft), provided it is not
   * published yet (by the database's clock). Returns false when the guard
   * did not match: it is published already (or gone).
   */
  async setPublishAt(id: string, publishAt: Date | null | 'now', executor: SqlExecutor = this.db): Promise<boolean> {
    // "Now" is the database's now: the clock every visibility query compares with.
    const r = await executor.query(
      `UPDATE videos SET publish_at = CASE WHEN $3 THEN now() ELSE $2::timestamptz END, updated_at = now()
       WHERE id = $1 AND (publish_at IS NULL OR publish_at > now())`,
      [id, publishAt === 'now' ? null : publishAt, publishAt === 'now'],
    );
    return r.rowCount > 0;
  }

  /** Forgets the requested cover once applied, unless the owner asked for another meanwhile. */
  async clearRequestedCover(id: string, atMs: number): Promise<void> {
    await this.db.query('UPDATE videos SET requested_cover_ms = NULL WHERE id = $1 AND requested_cover_ms = $2', [id, atMs]);
  }

  /**
   * The owner's stats of these videos: the counters (video_stats), and how
   * long people watched from the playback events (counted ones; each viewer's
   * longest reported watch, so replays and the progress events of one play
   * count once).
   */
  async creatorStats(ids: readonly string[]): Promise<CreatorStatsRow[]> {
    if (ids.length === 0) return [];
    const r = await this.db.query<CreatorStatsRow>(
      `WITH per_viewer AS (
         SELECT e.video_id, max(e.watched_ms) AS ms
         FROM events e
         WHERE e.video_id = ANY($1::text[]) AND e.counted AND e.watched_ms IS NOT NULL
         GROUP BY e.video_id, coalesce('u:' || e.user_id, 'd:' || e.device_id)
       ), watch AS (
         SELECT video_id, count(*) AS viewers, round(avg(ms)) AS average_watch_ms, sum(ms) AS total_watch_ms
         FROM per_viewer GROUP BY video_id
       )
       SELECT v.id AS video_id, coalesce(s.views, 0) AS views, coalesce(s.likes, 0) AS likes,
              coalesce(s.comments, 0) AS comments, coalesce(s.shares, 0) AS shares,
              coalesce(w.viewers, 0) AS viewers, w.average_watch_ms, coalesce(w.total_watch_ms, 0) AS total_watch_ms,
              v.duration_ms
       FROM videos v
       LEFT JOIN video_stats s ON s.video_id = v.id
       LEFT JOIN watch w ON w.video_id = v.id
       WHERE v.id = ANY($1::text[])`,
      [ids],
    );
    return r.rows;
  }

  /** Every video of `ownerId`, in every state and publication, newest first, keyset-paginated on (created_at, id). */
  async listOwn(ownerId: string, limit: number, after?: KeysetCursor): Promise<VideoRow[]> {
    const page = keysetSql(VIDEO_KEYSET, after, [ownerId, limit]);
    const r = await this.db.query<VideoRow>(`${SELECT} WHERE v.owner_id = $1${page.and} ORDER BY ${page.orderBy} LIMIT $2`, page.params);
    return r.rows;
  }

  /** What the storage route needs to know of an upload before it takes bytes: one primary-key read, no joins. */
  async uploadState(id: string): Promise<Pick<VideoRow, 'status' | 'original_key' | 'multipart_upload_id'> | null> {
    const r = await this.db.query<Pick<VideoRow, 'status' | 'original_key' | 'multipart_upload_id'>>(
      'SELECT status, original_key, multipart_upload_id FROM videos WHERE id = $1',
      [id],
    );
    return r.rows[0] ?? null;
  }

  /** Which of these ids are videos (in any state): the storage sweep deletes objects of the others. */
  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const r = await this.db.query<{ id: string }>('SELECT id FROM videos WHERE id = ANY($1::text[])', [ids]);
    return new Set(r.rows.map((row) => row.id));
  }

  /**
   * The lifecycle's move to `deleted`, allowed from every state: deletes the
   * row (engagement rows go with it, by cascade); returns what storage still
   * holds, or null. A processing attempt that finds the row gone cleans up.
   */
  async delete(id: string, executor: SqlExecutor = this.db): Promise<DeletedVideo | null> {
    const r = await executor.query<DeletedVideo>(
      'DELETE FROM videos WHERE id = $1 RETURNING id, owner_id, original_key, multipart_upload_id',
      [id],
    );
    return r.rows[0] ?? null;
  }

  /** Deletes every video of `ownerId` (as `delete` does, each); returns what storage still holds of each. */
  async deleteAllOf(ownerId: string, executor: SqlExecutor = this.db): Promise<DeletedVideo[]> {
    const r = await executor.query<DeletedVideo>(
      'DELETE FROM videos WHERE owner_id = $1 RETURNING id, owner_id, original_key, multipart_upload_id',
      [ownerId],
    );
    return r.rows;
  }

  /**
   * A profile's videos as `viewerId` may list them (all of the owner's own,
   * in every state), newest first, keyset-paginated on (created_at, id).
   */
  async listByOwner(ownerId: string, viewerId: string | null, limit: number, after?: KeysetCursor): Promise<VideoRow[]> {
    const page = keysetSql(VIDEO_KEYSET, after, [ownerId, viewerId, limit]);
    const r = await this.db.query<VideoRow>(
      `${SELECT} WHERE v.owner_id = $1 AND ${listedSql('v', '$2')}${page.and}
       ORDER BY ${page.orderBy} LIMIT $3`,
      page.params,
    );
    return r.rows;
  }

  /** How many videos `listByOwner` would return in all. */
  async countByOwner(ownerId: string, viewerId: string | null): Promise<number> {
    const r = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM videos v WHERE v.owner_id = $1 AND ${listedSql('v', '$2')}`,
      [ownerId, viewerId],
    );
    return r.rows[0]?.n ?? 0;
  }

  /** Ready videos `viewerId` may see from the people they follow, newest first. */
  async listFollowingFeed(viewerId: string, limit: number, after?: KeysetCursor): Promise<VideoRow[]> {
    const page = keysetSql(VIDEO_KEYSET, after, [viewerId, limit]);
    const r = await this.db.query<VideoRow>(
      `${SELECT} JOIN follows f ON f.followee_id = v.owner_id AND f.follower_id = $1
       WHERE v.status = 'ready' AND ${listedSql('v', '$1')}${page.and}
       ORDER BY ${page.orderBy} LIMIT $2`,
      page.params,
    );
    return r.rows;
  }

  /** Ids of the owner's videos (to drop their cached copies when the owner is banned or unbanned). */
  async idsByOwner(ownerId: string): Promise<string[]> {
    const r = await this.db.query<{ id: string }>('SELECT id FROM videos WHERE owner_id = $1', [ownerId]);
    return r.rows.map((row) => row.id);
  }

  /** Ids of videos whose caption mentions `userId` (their cached mention links change with bans and blocks). */
  async idsMentioning(userId: string, ownerId?: string): Promise<string[]> {
    const r = await this.db.query<{ id: string }>(
      `SELECT v.id FROM video_mentions m JOIN videos v ON v.id = m.video_id
       WHERE m.user_id = $1 AND ($2::text IS NULL OR v.owner_id = $2::text)`,
      [userId, ownerId ?? null],
    );
    return r.rows.map((row) => row.id);
  }

  /** Rows for these ids (any order; missing ones are left out). */
  async listByIds(ids: readonly string[], executor: SqlExecutor = this.db): Promise<VideoRow[]> {
    if (ids.length === 0) return [];
    // Every page of For You (its re-check) and of the id-listed feeds: its subqueries make planning the dearer half.
    const r = await executor.query<VideoRow>(`${SELECT} WHERE v.id = ANY($1::text[])`, [ids], { prepare: 'videos_list_by_ids' });
    return r.rows;
  }
}

const UPDATABLE_COLUMNS = new Set([
  'uploaded_at',
  'original_etag',
  'media_prefix',
  'progress',
  'duration_ms',
  'width',
  'height',
  'playback',
  'playable_at',
  'ready_at',
  'error_code',
  'error_message',
  'cover_time_ms',
] as const);
type UpdatableColumn = typeof UPDATABLE_COLUMNS extends Set<infer C> ? C : never;
/** The failure columns are written only by `fail`, from a VideoFailure of the lifecycle's codes. */
type TransitionColumn = Exclude<UpdatableColumn, 'error_code' | 'error_message'>;
