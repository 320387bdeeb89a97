import type { SqlExecutor } from '../../ports/database.js';

export type VideoStatus = 'uploading' | 'uploaded' | 'processing' | 'ready' | 'failed' | 'archived' | 'restoring';
export type Visibility = 'public' | 'unlisted' | 'followers' | 'private';

/** Object keys relative to the video's media prefix. */
export interface PlaybackKeys {
  hls?: string;
  mp4?: string;
  poster?: string;
}

export interface VideoRow {
  id: string;
  owner_id: string;
  owner_username: string;
  status: VideoStatus;
  caption: string;
  visibility: Visibility;
  original_key: string;
  original_filename: string;
  content_type: string;
  declared_size: string | number;
  multipart_upload_id: string | null;
  upload_expires_at: Date;
  uploaded_at: Date | null;
  media_prefix: string | null;
  progress: number;
  duration_ms: number | null;
  width: number | null;
  height: number | null;
  playback: PlaybackKeys | null;
  playable_at: Date | null;
  ready_at: Date | null;
  error_code: string | null;
  error_message: string | null;
  created_at: Date;
  updated_at: Date;
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
}

export interface RenditionRecord {
  name: string;
  width: number;
  height: number;
  bandwidth: number;
  averageBandwidth: number;
  codecs: string;
  bytes: number;
}

const SELECT = `SELECT v.*, u.username AS owner_username FROM videos v JOIN users u ON u.id = v.owner_id`;

/** States from which a video may still fail: every non-terminal one. */
export const FAILABLE: readonly VideoStatus[] = ['uploading', 'uploaded', 'processing'];

export class VideosRepository {
  constructor(private readonly db: SqlExecutor) {}

  async insert(v: NewVideo, executor: SqlExecutor = this.db): Promise<void> {
    await executor.query(
      `INSERT INTO videos (id, owner_id, status, caption, visibility, original_key, original_filename,
                           content_type, declared_size, multipart_upload_id, upload_expires_at)
       VALUES ($1, $2, 'uploading', $3, $4, $5, $6, $7, $8, $9, $10)`,
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
      ],
    );
  }

  async get(id: string, executor: SqlExecutor = this.db): Promise<VideoRow | null> {
    const r = await executor.query<VideoRow>(`${SELECT} WHERE v.id = $1`, [id]);
    return r.rows[0] ?? null;
  }

  /**
   * The single guarded state change: succeeds only if the video is still in
   * one of `from`, so a duplicate event or a retried job never moves it back.
   * Returns the updated row, or null when the guard did not match.
   */
  async transition(
    id: string,
    from: readonly VideoStatus[],
    to: VideoStatus,
    patch: Partial<Record<TransitionColumn, unknown>> = {},
    executor: SqlExecutor = this.db,
  ): Promise<VideoRow | null> {
    const cols = Object.keys(patch) as TransitionColumn[];
    for (const c of cols) if (!TRANSITION_COLUMNS.has(c)) throw new Error(`not an updatable column: ${c}`);
    const sets = cols.map((c, i) => `${c} = $${i + 4}`);
    const r = await executor.query<{ id: string }>(
      `UPDATE videos SET status = $2, updated_at = now()${sets.length ? ', ' + sets.join(', ') : ''}
       WHERE id = $1 AND status = ANY($3::text[]) RETURNING id`,
      [id, to, from, ...cols.map((c) => (c === 'playback' ? JSON.stringify(patch[c]) : patch[c]))],
    );
    if (r.rowCount === 0) return null;
    return this.get(id, executor);
  }

  /** Progress only moves forward, and only while processing. */
  async setProgress(id: string, progress: number): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE videos SET progress = $2, updated_at = now() WHERE id = $1 AND status = 'processing' AND progress < $2`,
      [id, progress],
    );
    return r.rowCount > 0;
  }

  async startProcessingAttempt(id: string, mediaPrefix: string): Promise<VideoRow | null> {
    return this.transition(id, ['uploaded', 'processing'], 'processing', {
      media_prefix: mediaPrefix,
      progress: 0,
      playback: null,
      playable_at: null,
    });
  }

  async markPlayable(id: string, playback: PlaybackKeys): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE videos SET playback = $2, playable_at = COALESCE(playable_at, now()), updated_at = now()
       WHERE id = $1 AND status = 'processing'`,
      [id, JSON.stringify(playback)],
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
   * Videos that should be moving through processing but have no unfinished
   * job: the enqueue was lost, or the last attempt's worker died and the job
   * went to the dead letter without the video being told.
   */
  async listStranded(queue: string, quietForSec: number, limit: number): Promise<Array<VideoRow & { job_died: boolean }>> {
    const r = await this.db.query<VideoRow & { job_died: boolean }>(
      `SELECT v.*, u.username AS owner_username,
              EXISTS (SELECT 1 FROM jobs d WHERE d.queue = $1 AND d.dedupe_key = 'process:' || v.id
                      AND d.status = 'dead') AS job_died
       FROM videos v JOIN users u ON u.id = v.owner_id
       WHERE v.status IN ('uploaded', 'processing')
         AND v.updated_at < now() - make_interval(secs => $2)
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.queue = $1 AND j.dedupe_key = 'process:' || v.id
                         AND j.status IN ('queued', 'running'))
       ORDER BY v.updated_at LIMIT $3`,
      [queue, quietForSec, limit],
    );
    return r.rows;
  }

  /** Ready public videos, newest first, keyset-paginated on (created_at, id). */
  async listPublicFeed(limit: number, after?: { t: string; id: string }): Promise<VideoRow[]> {
    const params: unknown[] = [limit];
    let where = `v.status = 'ready' AND v.visibility = 'public'`;
    if (after) {
      params.push(after.t, after.id);
      where += ` AND (v.created_at, v.id) < ($2::timestamptz, $3)`;
    }
    const r = await this.db.query<VideoRow>(
      `${SELECT} WHERE ${where} ORDER BY v.created_at DESC, v.id DESC LIMIT $1`,
      params,
    );
    return r.rows;
  }
}

const TRANSITION_COLUMNS = new Set([
  'uploaded_at',
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
] as const);
type TransitionColumn = typeof TRANSITION_COLUMNS extends Set<infer C> ? C : never;
