import type { Database } from '../../ports/database.js';
import { sqlString } from '../lake/duckdb.js';
import type { LakeAggregates } from '../lake/lake-aggregates.js';

/** A video's watch figures over its whole history. */
export interface WatchFigures {
  /** Distinct viewers (signed-in accounts and devices) who reported watch time in a counted play. */
  viewers: number;
  /** Average over those viewers of each one's longest watch; null before anyone watched. */
  averageWatchMs: number | null;
  /** The sum of those longest watches. */
  totalWatchMs: number;
}

/**
 * Watch time of videos over their whole history, for "Your videos" and a
 * video's owner stats: the OLTP `events` table keeps only
 * EVENTS_RETENTION_HOURS, the lake keeps everything but lags by a delivery.
 * Each viewer's longest watch is a maximum, so the two are merged exactly:
 * per (video, viewer), the larger of the lake's (its aggregates: month and
 * day tables, raw files for days not aggregated yet) and the recent events'
 * — an event in both counts once. Viewers are compared as the lake's 64-bit
 * hash of the same key (user id, else `d:` + device id); no identity leaves.
 */
export class WatchHistory {
  constructor(
    private readonly db: Database,
    private readonly aggregates: LakeAggregates,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async figures(ownerId: string, videoIds: readonly string[]): Promise<Map<string, WatchFigures>> {
    const out = new Map<string, WatchFigures>();
    if (videoIds.length === 0) return out;
    const recent = await this.db.query<{ video_id: string; viewer: string; ms: string | number }>(
      `SELECT video_id, coalesce(user_id, 'd:' || device_id) AS viewer, max(watched_ms) AS ms
       FROM events WHERE video_id = ANY($1::text[]) AND counted AND watched_ms IS NOT NULL
         AND (user_id IS NOT NULL OR device_id IS NOT NULL)
       GROUP BY 1, 2`,
      [videoIds],
    );
    const plan = await this.aggregates.plan({ from: '1970-01-01', to: this.now().toISOString().slice(0, 10) });
    const ids = videoIds.map(sqlString).join(', ');
    const rows = await this.aggregates.withTables(plan, `creator_id = ${sqlString(ownerId)} AND video_id IN (${ids})`, async (c) => {
      await c.run(`CREATE TEMP TABLE recent (video_id VARCHAR, viewer VARCHAR, ms BIGINT)`);
      const appender = await c.createAppender('recent', 'main', 'temp');
      for (const r of recent.rows) {
        appender.appendVarchar(r.video_id);
        appender.appendVarchar(r.viewer);
        appender.appendBigInt(BigInt(Math.round(Number(r.ms))));
        appender.endRow();
      }
      appender.closeSync();
      const reader = await c.runAndReadAll(`
          SELECT video_id, count(*) AS viewers, round(avg(ms)) AS average, sum(ms) AS total FROM (
            SELECT video_id, viewer, max(ms) AS ms FROM (
              SELECT video_id, viewer, max_watched_ms::BIGINT AS ms FROM v WHERE counted_plays > 0 AND max_watched_ms > 0
              UNION ALL SELECT video_id, hash(viewer), ms FROM recent
            ) GROUP BY ALL
          ) GROUP BY video_id`);
      return reader.getRowObjectsJson();
    });
    for (const r of rows) {
      out.set(typeof r.video_id === 'string' ? r.video_id : JSON.stringify(r.video_id), {
        viewers: Number(r.viewers),
        averageWatchMs: r.average === null ? null : Number(r.average),
        totalWatchMs: Number(r.total),
      });
    }
    return out;
  }
}
