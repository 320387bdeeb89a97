import { ConcurrencyGate } from '../../lib/concurrency-gate.js';
import type { Database } from '../../ports/database.js';
import { viewableSql } from '../videos/visibility.js';
import type { PlaybackEventType } from './view-rule.js';

/** Events per lake_buffer row at most (its event ids number them in 4 hex digits: migration 0026). */
export const MAX_EVENTS_PER_BUFFER_ROW = 65_536;

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
  private readonly writes: ConcurrencyGate;

  /**
   * `writeConcurrency`: event batches this process writes at once (record);
   * more wait their turn in arrival order. Every batch updates the same hot
   * rows (a video's counter, an address's budgets), so writers beyond what
   * the server's cores run only wait on each other's row locks and keep more
   * row versions alive: measured on two cores, PostgreSQL CPU per event rose
   * from 13 µs at 2 writers to 15 at 4 and 17.5 at 10 (the batch statement
   * alone on bench/lake's batches: fewer versions of the hot rows kept alive
   * for concurrent snapshots, shorter HOT chains and index scans).
   */
  constructor(
    private readonly db: Database,
    writeConcurrency = Number.MAX_SAFE_INTEGER,
  ) {
    this.writes = new ConcurrencyGate(writeConcurrency);
  }

  /** Of these ids, the videos the viewer may see, with their durations. */
  async viewableVideos(
    ids: readonly string[],
    viewerId: string | null,
  ): Promise<Map<string, { durationMs: number | null; ownerId: string }>> {
    if (ids.length === 0) return new Map();
    const r = await this.db.query<{ id: string; duration_ms: number | null; owner_id: string }>(
      `SELECT v.id, v.duration_ms, v.owner_id FROM videos v WHERE v.id = ANY($1::text[]) AND ${viewableSql('v', viewerId === null ? 'NULL' : '$2')}`,
      viewerId === null ? [ids] : [ids, viewerId],
      // Every event batch asks: planned once per connection (planning cost PostgreSQL about as much as running it).
      // Anonymous apart: with a NULL parameter PostgreSQL kept choosing a fresh custom plan on every call, for ever.
      { prepare: viewerId === null ? 'events_viewable_anonymous' : 'events_viewable' },
    );
    return new Map(r.rows.map((row) => [row.id, { durationMs: row.duration_ms, ownerId: row.owner_id }]));
  }

  /**
   * Appends the events and records the views they make, in ONE statement
   * (atomic on its own: one round trip, no BEGIN/COMMIT). A view row is
   * unique per (video, viewer, period), and the view counter moves only for
   * rows really inserted: concurrent batches from one viewer count once. An
   * anonymous viewer's new view also takes one from its address's budget for
   * that video and period (`views.address`, null for a signed-in viewer):
   * past the budget the view row is kept (the device viewed) but the counter
   * does not move; the budget row's lock makes concurrent batches from one
   * address count at most `budget` between them. `counted` false stores
   * events that must never count (a device over its address's allowance):
   * `views` is then empty. Returns the ids of videos whose view was counted now.
   *
   * Every event goes, for the lake, into ONE lake_buffer row with the
   * per-event columns as arrays (migration 0026; delivered to Parquet later,
   * see modules/lake): an array element per event, no buffer row, index entry
   * or uuid of its own. The OLTP events table (serving: history, creator and
   * exploration stats) gets only the rows serving can tell apart (oltpRows):
   * a batch's `play`/`progress` events that another stored event of the same
   * video makes redundant are left to the lake.
   *
   * Client times travel as millisecond offsets from `receivedAt` (0 when the
   * client sent none): short array literals for the driver to write and
   * PostgreSQL to parse, instead of a timestamp text per event; the buffer
   * row keeps them so (event_offsets_ms, migration 0030), delivery adds them.
   */
  async record(
    viewer: Viewer,
    events: readonly StoredEvent[],
    receivedAt: Date,
    counted: boolean,
    views: { videoIds: readonly string[]; viewerKey: string; period: number; address: string | null; budget: number },
  ): Promise<string[]> {
    if (events.length > MAX_EVENTS_PER_BUFFER_ROW) throw new RangeError(`at most ${MAX_EVENTS_PER_BUFFER_ROW} events per call`);
    const viewIds = counted ? [...views.videoIds].sort() : [];
    if (events.length === 0 && viewIds.length === 0) return [];
    const received = receivedAt.getTime();
    const r = await this.writes.run(() =>
      this.db.query<{ video_id: string }>(
        `WITH x AS (
         SELECT x.type, x.video_id, x.watched_ms, $7::timestamptz + x.off * interval '1 millisecond' AS client_at, x.keep, x.o
         FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $17::boolean[]) WITH ORDINALITY AS x(type, video_id, watched_ms, off, keep, o)
       ), ev AS (
         INSERT INTO events (type, video_id, user_id, device_id, watched_ms, client_at, received_at, counted)
         SELECT x.type, x.video_id, $5::text, $6::text, x.watched_ms, x.client_at, $7::timestamptz, $8::boolean
         FROM x WHERE x.keep
       ), lake AS (
         INSERT INTO lake_buffer (received_at, kind, user_id, device_id, counted, n_events, event_offsets_ms, types, video_ids,
                                  creator_ids, watched_ms_list, duration_ms_list, sources)
         SELECT $7::timestamptz, 'playback', $5::text, $6::text, $8::boolean, cardinality($1::text[]),
                $4::int[], $1::text[], $2::text[], $9::text[], $3::int[], $10::int[], $11::text[]
         WHERE cardinality($1::text[]) > 0
       ), ins AS (
         INSERT INTO video_views (video_id, viewer_key, period, address)
         SELECT x.id, $13::text, $14::int, $15::text FROM unnest($12::text[]) AS x(id)
         ON CONFLICT DO NOTHING RETURNING video_id
       ), budgeted AS (
         INSERT INTO view_budgets (video_id, address, period, used)
         SELECT video_id, $15::text, $14::int, 1 FROM ins WHERE $15::text IS NOT NULL
         ON CONFLICT (video_id, address, period) DO UPDATE SET used = view_budgets.used + 1
         WHERE view_budgets.used < $16::int
         RETURNING video_id
       ), views AS (
         SELECT video_id FROM ins WHERE $15::text IS NULL
         UNION ALL SELECT video_id FROM budgeted
       )
       INSERT INTO video_stats (video_id, views) SELECT video_id, 1 FROM views
       ON CONFLICT (video_id) DO UPDATE SET views = video_stats.views + 1
       RETURNING video_id`,
        [
          // Array literals built here (the driver's generic array path escapes and converts element by element).
          textArray(events, (e) => e.type),
          textArray(events, (e) => e.videoId),
          intArray(events, (e) => e.watchedMs),
          intArray(events, (e) => e.clientAt.getTime() - received),
          viewer.userId,
          viewer.deviceId,
          receivedAt,
          counted,
          textArray(events, (e) => e.creatorId),
          intArray(events, (e) => e.durationMs),
          textArray(events, (e) => e.source),
          // Sorted: concurrent batches then lock video_stats rows in one order (no deadlock).
          viewIds,
          views.viewerKey,
          views.period,
          views.address,
          views.budget,
          boolArray(oltpRows(events)),
        ],
        // Every event batch: planned once per connection, not per batch.
        { prepare: 'events_record' },
      ),
    );
    return r.rows.map((row) => row.video_id);
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

/**
 * Which of a batch's events the OLTP events table stores (true) — the rest
 * reach the lake only. Every serving reader of the table (recs history and
 * training pairs, exploration and creator stats, watch history) reads, per
 * viewer and video, the number of `impression`, `complete` and `skip` events,
 * the longest `watched_ms`, the latest receive time and that an event exists:
 * those three types are always kept; of a video's `play` and `progress`
 * events, the one with the longest watch is kept only when it adds to that —
 * a longer watch than the kept events', or the video's only event. A batch
 * shares its viewer, receive time and `counted`, so nothing any reader
 * computes changes (a viewer's newest-N history reaches further back).
 */
export function oltpRows(events: ReadonlyArray<Pick<StoredEvent, 'type' | 'videoId' | 'watchedMs'>>): boolean[] {
  const keep = new Array<boolean>(events.length);
  // Per video: the longest watch among kept events (-1: one without a watch; absent: none), and the best play/progress.
  const kept = new Map<string, number>();
  const best = new Map<string, number>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    const w = e.watchedMs ?? -1;
    if (e.type === 'play' || e.type === 'progress') {
      keep[i] = false;
      const b = best.get(e.videoId);
      if (b === undefined || w > (events[b]!.watchedMs ?? -1)) best.set(e.videoId, i);
    } else {
      keep[i] = true;
      const k = kept.get(e.videoId);
      if (k === undefined || w > k) kept.set(e.videoId, w);
    }
  }
  for (const [videoId, i] of best) {
    const k = kept.get(videoId);
    if (k === undefined || (events[i]!.watchedMs ?? -1) > k) keep[i] = true;
  }
  return keep;
}

/** A PostgreSQL text[] literal, each element quoted (escaped only where it needs it). */
function textArray<T>(items: readonly T[], f: (x: T) => string | null): string {
  let s = '{';
  for (let i = 0; i < items.length; i++) {
    const v = f(items[i]!);
    if (i > 0) s += ',';
    if (v === null) s += 'NULL';
    else if (v.includes('"') || v.includes('\\')) s += `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
    else s += `"${v}"`;
  }
  return s + '}';
}

/** A PostgreSQL int[] literal (integers in int4's range). */
function intArray<T>(items: readonly T[], f: (x: T) => number | null): string {
  let s = '{';
  for (let i = 0; i < items.length; i++) {
    const v = f(items[i]!);
    if (v !== null && !Number.isInteger(v)) throw new RangeError(`not an integer: ${v}`);
    s += (i > 0 ? ',' : '') + (v === null ? 'NULL' : String(v));
  }
  return s + '}';
}

function boolArray(values: readonly boolean[]): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) s += (i > 0 ? ',' : '') + (values[i] ? 't' : 'f');
  return s + '}';
}
