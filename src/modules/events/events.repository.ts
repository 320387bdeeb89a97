import type { Database } from '../../ports/database.js';
import { viewableSql } from '../videos/visibility.js';
import type { PlaybackEventType } from './view-rule.js';

export interface StoredEvent {
  type: PlaybackEventType;
  videoId: string;
  watchedMs: number | null;
  clientAt: Date;
  /** For the lake: the video's owner and duration now, and where the viewer found it (null: unknown). */
  creatorId: string | null;
  durationMs: number | null;
  source: string | null;
}

export interface Viewer {
  userId: string | null;
  deviceId: string | null;
}

export class EventsRepository {
  constructor(private readonly db: Database) {}

  /** Of these ids, the videos the viewer may see, with their durations. */
  async viewableVideos(
    ids: readonly string[],
    viewerId: string | null,
  ): Promise<Map<string, { durationMs: number | null; ownerId: string }>> {
    if (ids.length === 0) return new Map();
    const r = await this.db.query<{ id: string; duration_ms: number | null; owner_id: string }>(
      `SELECT v.id, v.duration_ms, v.owner_id FROM videos v WHERE v.id = ANY($1::text[]) AND ${viewableSql('v', '$2')}`,
      [ids, viewerId],
    );
    return new Map(r.rows.map((row) => [row.id, { durationMs: row.duration_ms, ownerId: row.owner_id }]));
  }

  /**
   * Appends the events and records the views they make, in one transaction.
   * A view row is unique per (video, viewer, period), and the view counter
   * moves only for rows really inserted: concurrent batches from one viewer
   * count once. An anonymous viewer's new view also takes one from its
   * address's budget for that video and period (`views.address`, null for a
   * signed-in viewer): past the budget the view row is kept (the device
   * viewed) but the counter does not move; the budget row's lock makes
   * concurrent batches from one address count at most `budget` between them.
   * `counted` false stores events that must never count (a device over its
   * address's allowance): `views` is then empty. Returns the ids of videos
   * whose view was counted now.
   */
  async record(
    viewer: Viewer,
    events: readonly StoredEvent[],
    receivedAt: Date,
    counted: boolean,
    views: { videoIds: readonly string[]; viewerKey: string; period: number; address: string | null; budget: number },
  ): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      if (events.length > 0) {
        // One statement, one round trip: the OLTP row (serving) and its copy in the lake's buffer
        // (delivered to Parquet later, see modules/lake), committed or rolled back together.
        await tx.query(
          `WITH x AS (
             SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $9::text[], $10::int[], $11::text[])
               AS x(type, video_id, watched_ms, client_at, creator_id, duration_ms, source)
           ), ev AS (
             INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at, counted)
             SELECT x.type, x.video_id, $5::text, $6::text, x.watched_ms, x.client_at, $7::timestamptz, $8::boolean FROM x
           )
           INSERT INTO lake_buffer (event_time, received_at, kind, type, video_id, creator_id, user_id, device_id,
                                    watched_ms, duration_ms, source, counted)
           SELECT x.client_at, $7::timestamptz, 'playback', x.type, x.video_id, x.creator_id, $5::text, $6::text,
                  x.watched_ms, x.duration_ms, x.source, $8::boolean FROM x`,
          [
            events.map((e) => e.type),
            events.map((e) => e.videoId),
            events.map((e) => e.watchedMs),
            events.map((e) => e.clientAt),
            viewer.userId,
            viewer.deviceId,
            receivedAt,
            counted,
            events.map((e) => e.creatorId),
            events.map((e) => e.durationMs),
            events.map((e) => e.source),
          ],
        );
      }
      if (!counted || views.videoIds.length === 0) return [];
      const r = await tx.query<{ video_id: string }>(
        `WITH ins AS (
           INSERT INTO video_views (video_id, viewer_key, period, address)
           SELECT x.id, $2::text, $3::int, $4::text FROM unnest($1::text[]) AS x(id)
           ON CONFLICT DO NOTHING RETURNING video_id
         ), budgeted AS (
           INSERT INTO view_budgets (video_id, address, period, used)
           SELECT video_id, $4::text, $3::int, 1 FROM ins WHERE $4::text IS NOT NULL
           ON CONFLICT (video_id, address, period) DO UPDATE SET used = view_budgets.used + 1
           WHERE view_budgets.used < $5::int
           RETURNING video_id
         ), views AS (
           SELECT video_id FROM ins WHERE $4::text IS NULL
           UNION ALL SELECT video_id FROM budgeted
         )
         INSERT INTO video_stats (video_id, views) SELECT video_id, 1 FROM views
         ON CONFLICT (video_id) DO UPDATE SET views = video_stats.views + 1
         RETURNING video_id`,
        // Sorted: concurrent batches then lock video_stats rows in one order (no deadlock).
        [[...views.videoIds].sort(), views.viewerKey, views.period, views.address, views.budget],
      );
      return r.rows.map((row) => row.video_id);
    });
  }

  /**
   * Retention, one batch at a time (each its own short statement): deletes up
   * to `limit` of the oldest events received before `before`; returns how
   * many. Nothing else is touched — view counters live in video_stats.
   */
  async deleteEventsBefore(before: Date, limit: number): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at < $1 ORDER BY received_at LIMIT $2)`,
      [before, limit],
    );
    return r.rowCount;
  }

  /** Up to `limit` view records (who viewed what, per day) created before `before`; counters stay. */
  async deleteViewsBefore(before: Date, limit: number): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM video_views v USING (
         SELECT video_id, viewer_key, period FROM video_views WHERE created_at < $1 ORDER BY created_at LIMIT $2
       ) old
       WHERE v.video_id = old.video_id AND v.viewer_key = old.viewer_key AND v.period = old.period`,
      [before, limit],
    );
    return r.rowCount;
  }

  /** Up to `limit` view budgets of periods before `period` (only the current period's budget is ever read). */
  async deleteBudgetsBefore(period: number, limit: number): Promise<number> {
    const r = await this.db.query(
      `DELETE FROM view_budgets b USING (
         SELECT video_id, address, period FROM view_budgets WHERE period < $1 LIMIT $2
       ) old
       WHERE b.video_id = old.video_id AND b.address = old.address AND b.period = old.period`,
      [period, limit],
    );
    return r.rowCount;
  }
}
