import type { Database } from '../../ports/database.js';
import { viewableSql } from '../videos/visibility.js';
import type { PlaybackEventType } from './view-rule.js';

export interface StoredEvent {
  type: PlaybackEventType;
  videoId: string;
  watchedMs: number | null;
  clientAt: Date;
}

export interface Viewer {
  userId: string | null;
  deviceId: string | null;
}

export class EventsRepository {
  constructor(private readonly db: Database) {}

  /** Of these ids, the videos the viewer may see, with their durations. */
  async viewableVideos(ids: readonly string[], viewerId: string | null): Promise<Map<string, { durationMs: number | null }>> {
    if (ids.length === 0) return new Map();
    const r = await this.db.query<{ id: string; duration_ms: number | null }>(
      `SELECT v.id, v.duration_ms FROM videos v WHERE v.id = ANY($1::text[]) AND ${viewableSql('v', '$2')}`,
      [ids, viewerId],
    );
    return new Map(r.rows.map((row) => [row.id, { durationMs: row.duration_ms }]));
  }

  /**
   * Appends the events and records the views they make, in one transaction.
   * A view row is unique per (video, viewer, period), and the view counter
   * moves only for rows really inserted: concurrent batches from one viewer
   * count once. Returns the ids of videos whose view was counted now.
   */
  async record(
    viewer: Viewer,
    events: readonly StoredEvent[],
    receivedAt: Date,
    views: { videoIds: readonly string[]; viewerKey: string; period: number },
  ): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      if (events.length > 0) {
        await tx.query(
          `INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at)
           SELECT x.type, x.video_id, $5::text, $6::text, x.watched_ms, x.client_at, $7::timestamptz
           FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[]) AS x(type, video_id, watched_ms, client_at)`,
          [
            events.map((e) => e.type),
            events.map((e) => e.videoId),
            events.map((e) => e.watchedMs),
            events.map((e) => e.clientAt),
            viewer.userId,
            viewer.deviceId,
            receivedAt,
          ],
        );
      }
      if (views.videoIds.length === 0) return [];
      const r = await tx.query<{ video_id: string }>(
        `WITH ins AS (
           INSERT INTO video_views (video_id, viewer_key, period)
           SELECT x.id, $2::text, $3::int FROM unnest($1::text[]) AS x(id)
           ON CONFLICT DO NOTHING RETURNING video_id
         )
         INSERT INTO video_stats (video_id, views) SELECT video_id, 1 FROM ins
         ON CONFLICT (video_id) DO UPDATE SET views = video_stats.views + 1
         RETURNING video_id`,
        // Sorted: concurrent batches then lock video_stats rows in one order (no deadlock).
        [[...views.videoIds].sort(), views.viewerKey, views.period],
      );
      return r.rows.map((row) => row.video_id);
    });
  }
}
