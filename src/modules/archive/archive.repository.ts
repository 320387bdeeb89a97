import type { Database, SqlExecutor } from '../../ports/database.js';
import type { RestoreTier } from '../../ports/object-store.js';
import { VIDEO_SELECT } from '../videos/videos.repository.js';
import type { PlaybackKeys, VideoRow } from '../videos/video.types.js';

export type Requester = 'owner' | 'admin' | 'viewer' | 'system';
export type RestoreRowState = 'retrieving' | 'processing' | 'done' | 'failed' | 'cancelled';

export interface RestoreRow {
  /** bigserial: a string from PostgreSQL, a number from PGlite. */
  id: string | number;
  video_id: string;
  requested_by: string | null;
  requester: Requester;
  tier: RestoreTier;
  state: RestoreRowState;
  attempts: number;
  error: string | null;
  bytes: string | null;
  attempt_prefix: string | null;
  requested_at: Date;
  retrieved_at: Date | null;
  finished_at: Date | null;
}

/** Where a sweep is in its walk over the candidates. */
export interface SweepCursor {
  at: string;
  id: string;
}

export interface ArchivePolicy {
  idleDays: number;
  minAgeDays: number;
}

/** The archive's SQL: candidates, the guarded moves ready ⇄ archived ⇄ restoring, restore rows. */
export class ArchiveRepository {
  constructor(private readonly db: Database) {}

  /**
   * Ready, unpinned videos older than `minAgeDays` that nobody viewed for `idleDays` (never
   * viewed: counted from when they became ready), oldest first, after the cursor `after`
   * (the last row's created_at as the database prints it, so no precision is lost, and id).
   */
  async candidates(policy: ArchivePolicy, limit: number, after?: SweepCursor): Promise<{ rows: VideoRow[]; last: SweepCursor | null }> {
    const r = await this.db.query<{ id: string; at: string }>(
      `SELECT v.id, v.created_at::text AS at FROM videos v
        LEFT JOIN video_stats s ON s.video_id = v.id
       WHERE v.status = 'ready' AND NOT v.archive_pinned AND v.media_prefix IS NOT NULL
         AND v.created_at < now() - make_interval(days => $1)
         AND COALESCE(s.last_viewed_at, v.ready_at, v.created_at) < now() - make_interval(days => $2)
         AND ($4::text IS NULL OR (v.created_at, v.id) > ($4::timestamptz, $5::text))
       ORDER BY v.created_at, v.id
       LIMIT $3`,
      [policy.minAgeDays, policy.idleDays, limit, after?.at ?? null, after?.id ?? ''],
    );
    const last = r.rows.at(-1);
    if (!last) return { rows: [], last: null };
    const rows = await this.db.query<VideoRow>(`${VIDEO_SELECT} WHERE v.id = ANY($1::text[]) ORDER BY v.created_at, v.id`, [
      r.rows.map((x) => x.id),
    ]);
    return { rows: rows.rows, last: { at: last.at, id: last.id } };
  }

  /** Videos marked archived whose objects have not all moved yet (a sweep stopped half-way). */
  async pending(limit: number): Promise<VideoRow[]> {
    const r = await this.db.query<VideoRow>(`${VIDEO_SELECT} WHERE v.archive_pending ORDER BY v.id LIMIT $1`, [limit]);
    return r.rows;
  }

  /**
   * ready → archived, guarded on the status and the rendition prefix the caller measured, in one UPDATE:
   * nothing is playable from here on; the objects move after (archive_pending until they have).
   */
  async markArchived(id: string, mediaPrefix: string, archiveBytes: number, freedBytes: number, playback: PlaybackKeys): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE videos SET status = 'archived', archived_at = now(), archive_pending = true, archive_bytes = $3,
              archive_freed_bytes = $4, playback = $5::jsonb, progress = 0, archive_error = NULL, updated_at = now()
        WHERE id = $1 AND status = 'ready' AND media_prefix = $2 AND NOT archive_pinned`,
      [id, mediaPrefix, archiveBytes, freedBytes, JSON.stringify(playback)],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async clearPending(id: string): Promise<void> {
    await this.db.query('UPDATE videos SET archive_pending = false WHERE id = $1', [id]);
  }

  async setPinned(id: string, pinned: boolean): Promise<void> {
    await this.db.query('UPDATE videos SET archive_pinned = $2, updated_at = now() WHERE id = $1', [id, pinned]);
  }

  /**
   * archived → restoring and the restore row, in one transaction, or the restore already in
   * flight: whoever asks, one restore per video (the guarded UPDATE, and the unique index behind it).
   */
  async startRestore(
    id: string,
    req: { requester: Requester; requestedBy: string | null; tier: RestoreTier; etaAt: Date | null },
    enqueue: (restore: RestoreRow, tx: SqlExecutor) => Promise<void>,
  ): Promise<{ started: boolean; status: string | null }> {
    return this.db.transaction(async (tx) => {
      const moved = await tx.query(
        `UPDATE videos SET status = 'restoring', restore_phase = 'retrieving', restore_requested_at = now(),
                restore_eta_at = $2, archive_error = NULL, progress = 0, updated_at = now()
          WHERE id = $1 AND status = 'archived'`,
        [id, req.etaAt],
      );
      if ((moved.rowCount ?? 0) === 0) {
        const current = await tx.query<{ status: string }>('SELECT status FROM videos WHERE id = $1', [id]);
        return { started: false, status: current.rows[0]?.status ?? null };
      }
      const r = await tx.query<RestoreRow>(
        `INSERT INTO archive_restores (video_id, requested_by, requester, tier) VALUES ($1, $2, $3, $4) RETURNING *`,
        [id, req.requestedBy, req.requester, req.tier],
      );
      await enqueue(r.rows[0]!, tx);
      return { started: true, status: 'restoring' };
    });
  }

  async getRestore(id: string): Promise<RestoreRow | null> {
    const r = await this.db.query<RestoreRow>('SELECT * FROM archive_restores WHERE id = $1', [id]);
    return r.rows[0] ?? null;
  }

  /** The retrieval finished: restoring(retrieving) → restoring(processing), on the video and its restore row. */
  async markRetrieved(restoreId: string, videoId: string, bytes: number, etaAt: Date | null): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query(
        `UPDATE archive_restores SET state = 'processing', retrieved_at = now(), bytes = $2
          WHERE id = $1 AND state = 'retrieving'`,
        [restoreId, bytes],
      );
      if ((r.rowCount ?? 0) === 0) return false;
      await tx.query(
        `UPDATE videos SET restore_phase = 'processing', restore_eta_at = $2, updated_at = now() WHERE id = $1 AND status = 'restoring'`,
        [videoId, etaAt],
      );
      return true;
    });
  }

  /** Records the prefix a processing attempt writes to; returns the previous attempt's (to remove), or false if the restore is over. */
  async startAttempt(restoreId: string, prefix: string): Promise<{ previous: string | null } | false> {
    const r = await this.db.query<{ previous: string | null }>(
      `UPDATE archive_restores a SET attempt_prefix = $2
         FROM (SELECT attempt_prefix AS previous FROM archive_restores WHERE id = $1 FOR UPDATE) p
        WHERE a.id = $1 AND a.state = 'processing'
       RETURNING p.previous`,
      [restoreId, prefix],
    );
    return r.rows[0] ?? false;
  }

  async setProgress(videoId: string, progress: number): Promise<boolean> {
    const r = await this.db.query(
      `UPDATE videos SET progress = $2, updated_at = now() WHERE id = $1 AND status = 'restoring' AND progress IS DISTINCT FROM $2`,
      [videoId, progress],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * restoring → ready with the new renditions, and the restore done, in one transaction guarded on both:
   * a deleted video or a cancelled restore publishes nothing. Returns the old rendition prefix (poster) to delete.
   */
  async finishRestore(
    restoreId: string,
    videoId: string,
    prefix: string,
    fields: { durationMs: number; width: number; height: number; playback: PlaybackKeys },
  ): Promise<{ oldPrefix: string | null } | null> {
    return this.db.transaction(async (tx) => {
      const restore = await tx.query(
        `UPDATE archive_restores SET state = 'done', finished_at = now() WHERE id = $1 AND state = 'processing' AND attempt_prefix = $2`,
        [restoreId, prefix],
      );
      if ((restore.rowCount ?? 0) === 0) return null;
      const r = await tx.query<{ old_prefix: string | null }>(
        `UPDATE videos v SET status = 'ready', media_prefix = $2, playback = $3::jsonb, duration_ms = $4, width = $5, height = $6,
                progress = 1, ready_at = now(), restore_phase = NULL, restore_requested_at = NULL, restore_eta_at = NULL,
                archived_at = NULL, archive_pending = false, updated_at = now(),
                -- The poster is the pipeline's own again: the cover the owner picked is cut anew (afterReady).
                requested_cover_ms = COALESCE(v.requested_cover_ms, v.cover_time_ms), cover_time_ms = NULL
           FROM (SELECT media_prefix AS old_prefix FROM videos WHERE id = $1 FOR UPDATE) o
          WHERE v.id = $1 AND v.status = 'restoring'
         RETURNING o.old_prefix`,
        [videoId, prefix, JSON.stringify(fields.playback), fields.durationMs, fields.width, fields.height],
      );
      if (r.rows.length === 0) throw new RestoreLostVideo();
      // Someone asked for it: it counts as viewed now, so the next sweep does not archive it again at once.
      await tx.query(
        `INSERT INTO video_stats (video_id, last_viewed_at) VALUES ($1, now())
         ON CONFLICT (video_id) DO UPDATE SET last_viewed_at = now()`,
        [videoId],
      );
      return { oldPrefix: r.rows[0]!.old_prefix };
    });
  }

  /** A failed run: counts it; returns the count. */
  async countFailure(restoreId: string, error: string): Promise<number> {
    const r = await this.db.query<{ attempts: number }>(
      `UPDATE archive_restores SET attempts = attempts + 1, error = $2 WHERE id = $1 RETURNING attempts`,
      [restoreId, error.slice(0, 2000)],
    );
    return r.rows[0]?.attempts ?? 0;
  }

  /** Gives a restore up: the restore row failed, the video back to archived with the error for its owner. */
  async failRestore(restoreId: string, videoId: string, error: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const r = await tx.query(
        `UPDATE archive_restores SET state = 'failed', error = $2, finished_at = now() WHERE id = $1 AND state IN ('retrieving', 'processing')`,
        [restoreId, error.slice(0, 2000)],
      );
      if ((r.rowCount ?? 0) === 0) return false;
      await tx.query(
        `UPDATE videos SET status = 'archived', restore_phase = NULL, restore_requested_at = NULL, restore_eta_at = NULL,
                archive_error = $2, progress = 0, updated_at = now()
          WHERE id = $1 AND status = 'restoring'`,
        [videoId, error.slice(0, 500)],
      );
      return true;
    });
  }

  async cancelRestore(restoreId: string): Promise<void> {
    await this.db.query(
      `UPDATE archive_restores SET state = 'cancelled', finished_at = now() WHERE id = $1 AND state IN ('retrieving', 'processing')`,
      [restoreId],
    );
  }

  /** The restore in flight for a video, if any. */
  async activeRestoreOf(videoId: string): Promise<RestoreRow | null> {
    const r = await this.db.query<RestoreRow>(
      `SELECT * FROM archive_restores WHERE video_id = $1 AND state IN ('retrieving', 'processing')`,
      [videoId],
    );
    return r.rows[0] ?? null;
  }
}

/** The video row went away (deleted) between the restore's guard and its publication. */
export class RestoreLostVideo extends Error {
  constructor() {
    super('The video was deleted during its restore.');
    this.name = 'RestoreLostVideo';
  }
}
