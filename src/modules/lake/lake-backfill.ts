import type { Logger } from 'pino';
import type { Database, SqlExecutor } from '../../ports/database.js';

/**
 * Taken shared by account deletion and exclusively by each backfill step:
 * a step never copies rows of an account whose deletion is in flight (it
 * waits for the commit, then no longer sees them).
 */
export const BACKFILL_LOCK_KEY = 7_313_014_003;

/** Events one backfill transaction copies at most. */
export const BACKFILL_CHUNK = 5000;

export interface BackfillState {
  /** Events rows up to this id predate the lake (migration 0028). */
  uptoId: number;
  /** Every row up to here has been copied. */
  nextId: number;
  /** Events copied so far. */
  events: number;
  done: boolean;
}

export interface BackfillReport {
  events: number;
  chunks: number;
  done: boolean;
}

/**
 * History from before the lake (migration 0028): playback events recorded
 * before migration 0019 never reached lake_buffer, and the OLTP retention
 * would delete them. This copies them into lake_buffer in events.id order,
 * BACKFILL_CHUNK at a time, each chunk in one transaction with the cursor
 * (lake_backfill.next_id): a crash loses no chunk and repeats none, a second
 * run finds nothing left. From the buffer, delivery takes them to Parquet
 * exactly once like any event. Lake event id: lake_backfill_event_id(events.id).
 * creator_id and duration_ms are the video's now (the normal path records
 * them at play time; a deleted video's are null).
 */
export class LakeBackfill {
  constructor(
    private readonly db: Database,
    private readonly log?: Logger,
  ) {}

  async state(q: SqlExecutor = this.db): Promise<BackfillState | null> {
    const r = await q.query<{ upto_id: string; next_id: string; events: string; done_at: Date | null }>(
      `SELECT upto_id::text, next_id::text, events::text, done_at FROM lake_backfill`,
    );
    const row = r.rows[0];
    if (!row) return null;
    return { uptoId: Number(row.upto_id), nextId: Number(row.next_id), events: Number(row.events), done: row.done_at !== null };
  }

  /** Whether anything is left to copy (cheap: one row). */
  async pending(): Promise<boolean> {
    const s = await this.state();
    return s !== null && !s.done;
  }

  /**
   * The oldest receive time of a row still to copy (null: none): the events
   * retention deletes nothing from there on until the backfill has passed it.
   */
  async oldestPending(): Promise<Date | null> {
    const r = await this.db.query<{ t: Date | null }>(
      `SELECT min(e.received_at) AS t FROM lake_backfill b, events e
       WHERE b.done_at IS NULL AND e.id > b.next_id AND e.id <= b.upto_id`,
    );
    return r.rows[0]?.t ?? null;
  }

  /**
   * Copies up to `maxEvents` events (whole chunks), stopping early when done
   * or aborted. `maxEvents` bounds one call so the buffer stays shallow
   * (delivery drains it between calls).
   */
  async run(opts: { maxEvents?: number; chunk?: number; signal?: AbortSignal } = {}): Promise<BackfillReport> {
    const chunk = opts.chunk ?? BACKFILL_CHUNK;
    const max = opts.maxEvents ?? Number.POSITIVE_INFINITY;
    const report: BackfillReport = { events: 0, chunks: 0, done: false };
    while (!opts.signal?.aborted && report.events < max) {
      const step = await this.step(Math.min(chunk, max - report.events));
      report.events += step.events;
      if (step.events > 0) report.chunks++;
      if (step.done) {
        report.done = true;
        break;
      }
    }
    if (report.events > 0) this.log?.info(report, 'lake: pre-lake events backfilled');
    return report;
  }

  private async step(limit: number): Promise<{ events: number; done: boolean }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [BACKFILL_LOCK_KEY]);
      const cur = await tx.query<{ upto_id: string; next_id: string }>(
        `SELECT upto_id::text, next_id::text FROM lake_backfill WHERE done_at IS NULL FOR UPDATE`,
      );
      const row = cur.rows[0];
      if (!row) return { events: 0, done: true };
      // The next `limit` rows by id (the primary key), and where they end.
      const r = await tx.query<{ n: string; last: string | null }>(
        `WITH pick AS (
           SELECT e.* FROM events e WHERE e.id > $1::bigint AND e.id <= $2::bigint ORDER BY e.id LIMIT $3
         ), ins AS (
           INSERT INTO lake_buffer (event_id, event_time, received_at, kind, type, video_id, creator_id, user_id, device_id,
                                    watched_ms, duration_ms, counted)
           SELECT lake_backfill_event_id(p.id), p.client_at, p.received_at, 'playback', p.type, p.video_id, v.owner_id,
                  p.user_id, p.device_id, p.watched_ms, v.duration_ms, p.counted
           FROM pick p LEFT JOIN videos v ON v.id = p.video_id
           RETURNING 1
         )
         SELECT (SELECT count(*) FROM ins)::text AS n, (SELECT max(id) FROM pick)::text AS last`,
        [row.next_id, row.upto_id, limit],
      );
      const n = Number(r.rows[0]?.n ?? 0);
      const last = r.rows[0]?.last ?? null;
      if (last === null) {
        await tx.query(`UPDATE lake_backfill SET next_id = upto_id, done_at = now()`);
        return { events: 0, done: true };
      }
      const done = Number(last) >= Number(row.upto_id);
      await tx.query(
        `UPDATE lake_backfill SET next_id = $1::bigint, events = events + $2, done_at = CASE WHEN $3::boolean THEN now() END`,
        [last, n, done],
      );
      return { events: n, done };
    });
  }
}
