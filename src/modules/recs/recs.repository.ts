import type { Database, SqlExecutor } from '../../ports/database.js';
import { discoverableSql } from '../videos/visibility.js';
import type { PairSignals, VideoFacts, ViewerHistory } from './history.types.js';
import type { ModelSelection } from './tuning/self-tune.js';

/** Who is watching: a signed-in user, or an anonymous device. */
export interface ViewerKey {
  userId: string | null;
  deviceId: string | null;
}

/** The key one viewer's events train under (as in the training query): the user id, or `d:` + the device id; null for neither. */
export function viewerKeyOf(v: ViewerKey): string | null {
  if (v.userId) return v.userId;
  return v.deviceId ? `d:${v.deviceId}` : null;
}

const EPOCH_MS = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

/**
 * Session settings for the rest of `tx` (SET LOCAL) for the periodic snapshot reads: no JIT (their row estimates
 * cross its threshold, and compiling costs more than running them), optionally no parallel workers and more
 * work_mem. PGlite accepts the same settings (it has no JIT or parallel workers to turn off).
 */
async function noJit(tx: SqlExecutor, opts: { parallel?: boolean; workMem?: string } = {}): Promise<void> {
  await tx.query(`SET LOCAL jit = off`);
  if (opts.parallel === false) await tx.query(`SET LOCAL max_parallel_workers_per_gather = 0`);
  if (opts.workMem) await tx.query(`SELECT set_config('work_mem', $1, true)`, [opts.workMem]);
}

type ActionKind = 'like' | 'share' | 'comment' | 'not_interested';

export interface PairRow extends PairSignals {
  viewer: string;
  videoId: string;
  ownerId: string;
  /** When the viewer last did anything with this video. */
  lastAt: Date;
}

/** One "Not interested" mark: the video, its author and its hashtags (for the per-viewer penalty). */
export interface NotInterestedMark {
  videoId: string;
  ownerId: string;
  tags: string[];
}

/** A video the For You feed may show anyone (public, ready, not withdrawn). */
export interface CatalogVideo extends VideoFacts {
  id: string;
  createdAt: number;
  /** The caption's first hashtag, for diversity. */
  tag: string | null;
}

export interface ExploreStat {
  videoId: string;
  /** Distinct viewers the video was shown to. */
  viewers: number;
  /** Of those, viewers who engaged (completed, watched half, liked, shared, commented). */
  engaged: number;
}

export interface ModelVersionRow {
  version: number;
  objectKey: string;
  trainedAt: Date;
  eventsRead: number;
  users: number;
  videos: number;
  pairs: number;
  trainMs: number;
  maxEventId: number;
  /** The newest delivered lake batch in the model's history; null when trained from the events table. */
  lakeBatchId: number | null;
  /** What the training run's self-tuning chose and why (migration 0025); null for older models. */
  selection: ModelSelection | null;
}

interface RawPair {
  viewer: string;
  video_id: string;
  owner_id: string;
  duration_ms: number | null;
  impressions: number | string | null;
  completes: number | string | null;
  skips: number | string | null;
  watched_ms: number | string | null;
  liked: boolean;
  shared: boolean;
  commented: boolean;
  follows_author: boolean;
  not_interested: boolean;
  last_at: Date | string;
}

const num = (v: number | string | null): number => (v === null ? 0 : Number(v));

function toPair(r: RawPair): PairRow {
  return {
    viewer: r.viewer,
    videoId: r.video_id,
    ownerId: r.owner_id,
    durationMs: r.duration_ms,
    impressions: num(r.impressions),
    completes: num(r.completes),
    skips: num(r.skips),
    watchedMs: num(r.watched_ms),
    liked: r.liked,
    shared: r.shared,
    commented: r.commented,
    followsAuthor: r.follows_author,
    notInterested: r.not_interested,
    lastAt: new Date(r.last_at),
  };
}

/**
 * Signals per (viewer, video) since $1 for training: playback events
 * aggregated (counted ones: not those of devices over their address's
 * allowance of new ids), joined with likes, shares and comments and with whether the
 * viewer follows the author. The same signals signals.ts aggregates for one
 * viewer at request time.
 */
const TRAINING_PAIRS_SQL = `
  WITH ev AS (
    SELECT coalesce(e.user_id, 'd:' || e.device_id) AS viewer, e.video_id,
           count(*) FILTER (WHERE e.type = 'impression') AS impressions,
           count(*) FILTER (WHERE e.type = 'complete') AS completes,
           count(*) FILTER (WHERE e.type = 'skip') AS skips,
           coalesce(max(e.watched_ms), 0) AS watched_ms,
           max(e.received_at) AS last_at
    FROM events e WHERE e.received_at > $1 AND e.counted GROUP BY 1, 2
  ), eng AS (
    SELECT g.viewer, g.video_id, bool_or(g.kind = 'like') AS liked, bool_or(g.kind = 'share') AS shared,
           bool_or(g.kind = 'comment') AS commented, bool_or(g.kind = 'not_interested') AS not_interested, max(g.at) AS last_at
    FROM (SELECT user_id AS viewer, video_id, 'like' AS kind, created_at AS at FROM video_likes WHERE created_at > $1
          UNION ALL SELECT user_id, video_id, 'share', created_at FROM video_shares WHERE user_id IS NOT NULL AND created_at > $1
          UNION ALL SELECT author_id, video_id, 'comment', created_at FROM comments WHERE created_at > $1
          UNION ALL SELECT user_id, video_id, 'not_interested', created_at FROM video_not_interested WHERE created_at > $1) g
    GROUP BY g.viewer, g.video_id
  )
  SELECT coalesce(ev.viewer, eng.viewer) AS viewer, v.id AS video_id, v.owner_id, v.duration_ms,
         ev.impressions, ev.completes, ev.skips, ev.watched_ms,
         coalesce(eng.liked, false) AS liked, coalesce(eng.shared, false) AS shared, coalesce(eng.commented, false) AS commented,
         coalesce(eng.not_interested, false) AS not_interested,
         f.follower_id IS NOT NULL AS follows_author,
         greatest(ev.last_at, eng.last_at) AS last_at
  FROM ev FULL JOIN eng ON eng.viewer = ev.viewer AND eng.video_id = ev.video_id
  JOIN videos v ON v.id = coalesce(ev.video_id, eng.video_id)
  LEFT JOIN follows f ON f.follower_id = coalesce(ev.viewer, eng.viewer) AND f.followee_id = v.owner_id`;

export class RecsRepository {
  constructor(private readonly db: Database) {}

  /** Every (viewer, video) pair with signals since `since`, plus how many events that read. */
  async trainingPairs(since: Date): Promise<{ pairs: PairRow[]; eventsRead: number; maxEventId: number }> {
    const totals = await this.db.query<{ n: string | number; max_id: string | number | null }>(
      `SELECT count(*) AS n, max(id) AS max_id FROM events WHERE received_at > $1 AND counted`,
      [since],
    );
    const r = await this.db.query<RawPair>(TRAINING_PAIRS_SQL, [since]);
    return { pairs: r.rows.map(toPair), eventsRead: num(totals.rows[0]?.n ?? 0), maxEventId: num(totals.rows[0]?.max_id ?? 0) };
  }

  /**
   * One viewer's raw recent history: their newest `maxEvents` playback events
   * and their likes, shares and comments since `since`, newest first — plain
   * index scans, aggregated by the caller (signals.ts). A signed-in viewer's
   * anonymous events from the same device are included, so signing up does
   * not start the feed from scratch.
   */
  async viewerHistory(viewer: ViewerKey, since: Date, maxEvents: number): Promise<ViewerHistory> {
    const r = await this.viewerReads(viewer, since, maxEvents, 0);
    return { events: r.events, actions: r.actions };
  }

  /**
   * Everything the For You feed reads about one viewer per request, in one
   * statement (one round trip, one row of JSON instead of four result sets to
   * parse): their history as viewerHistory reads it, the creators they follow
   * and their newest `maxMarks` "Not interested" marks (as notInterestedMarks).
   * An anonymous viewer has only events.
   */
  async viewerReads(
    viewer: ViewerKey,
    since: Date,
    maxEvents: number,
    maxMarks: number,
  ): Promise<ViewerHistory & { followed: Set<string>; blocked: Set<string>; notInterested: NotInterestedMark[] }> {
    // ORDER BY received_at is the column (not an output alias): the (viewer, received_at) index serves the order and the limit.
    const events = (where: string, limit: string) =>
      `(SELECT coalesce(json_agg(json_build_array(e.video_id, e.type, e.watched_ms, ${EPOCH_MS('e.received_at')}) ORDER BY e.received_at DESC), '[]')
        FROM (SELECT video_id, type, watched_ms, received_at FROM events WHERE ${where} ORDER BY received_at DESC LIMIT ${limit}) e)`;
    type Row = {
      events: Array<[string, string, number | null, number]>;
      actions: Array<[string, ActionKind, number]>;
      followed: string[];
      blocked: string[];
      marks: Array<[string, string, string[] | null]>;
    };
    let row: Row;
    if (viewer.userId) {
      const r = await this.db.query<Row>(
        `SELECT ${events('(user_id = $1 OR ($2::text IS NOT NULL AND device_id = $2 AND user_id IS NULL)) AND received_at > $3', '$4')} AS events,
           (SELECT coalesce(json_agg(json_build_array(g.video_id, g.kind, ${EPOCH_MS('g.at')})), '[]') FROM (
              SELECT video_id, 'like' AS kind, created_at AS at FROM video_likes WHERE user_id = $1 AND created_at > $3
              UNION ALL SELECT video_id, 'share', created_at FROM video_shares WHERE user_id = $1 AND created_at > $3
              UNION ALL SELECT video_id, 'comment', created_at FROM comments WHERE author_id = $1 AND created_at > $3
              UNION ALL SELECT video_id, 'not_interested', created_at FROM video_not_interested WHERE user_id = $1 AND created_at > $3) g
           ) AS actions,
           (SELECT coalesce(json_agg(f.followee_id), '[]') FROM follows f WHERE f.follower_id = $1) AS followed,
           -- Everyone in a block with the viewer, either way (BlocksRepository.blockedIds; usually nobody).
           (SELECT coalesce(json_agg(b.id), '[]') FROM (
              SELECT blocked_id AS id FROM blocks WHERE blocker_id = $1 UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1) b
           ) AS blocked,
           (SELECT coalesce(json_agg(json_build_array(m.video_id, m.owner_id, m.tags) ORDER BY m.created_at DESC, m.video_id), '[]') FROM (
              SELECT n.video_id, v.owner_id, n.created_at,
                     ARRAY(SELECT h.tag FROM video_hashtags h WHERE h.video_id = n.video_id ORDER BY h.position) AS tags
              FROM video_not_interested n JOIN videos v ON v.id = n.video_id
              WHERE n.user_id = $1 ORDER BY n.created_at DESC, n.video_id LIMIT $5) m
           ) AS marks`,
        [viewer.userId, viewer.deviceId, since, maxEvents, maxMarks],
        // Every For You request: planned once per connection, not per request (≈ 0.7 ms of PostgreSQL CPU each).
        { prepare: 'recs_viewer_reads_user' },
      );
      row = r.rows[0]!;
    } else {
      const r = await this.db.query<Pick<Row, 'events'>>(
        `SELECT ${events('device_id = $1 AND user_id IS NULL AND received_at > $2', '$3')} AS events`,
        [viewer.deviceId, since, maxEvents],
        { prepare: 'recs_viewer_reads_device' },
      );
      row = { events: r.rows[0]!.events, actions: [], followed: [], blocked: [], marks: [] };
    }
    return {
      events: row.events.map(([videoId, type, watchedMs, at]) => ({ videoId, type, watchedMs, at: new Date(at) })),
      actions: row.actions.map(([videoId, kind, at]) => ({ videoId, kind, at: new Date(at) })),
      followed: new Set(row.followed),
      blocked: new Set(row.blocked),
      notInterested: row.marks.map(([videoId, ownerId, tags]) => ({ videoId, ownerId, tags: tags ?? [] })),
    };
  }

  /** Owner and duration of these videos (for history items the catalog does not hold: unlisted, private, withdrawn). */
  async videoFacts(ids: readonly string[]): Promise<Map<string, VideoFacts>> {
    if (ids.length === 0) return new Map();
    const r = await this.db.query<{ id: string; owner_id: string; duration_ms: number | null }>(
      `SELECT id, owner_id, duration_ms FROM videos WHERE id = ANY($1::text[])`,
      [ids],
    );
    return new Map(r.rows.map((row) => [row.id, { ownerId: row.owner_id, durationMs: row.duration_ms }]));
  }

  /**
   * The candidate pool, newest first. One row holding a JSON array rather than
   * a row per video: at 10,000 videos the driver's per-row parsing (a Date and
   * five fields each) stalled the API's event loop for tens of milliseconds on
   * every refresh, where JSON.parse of one value takes a few. JIT off for the
   * statement: PostgreSQL's cost estimate for 10,000 rows crosses the JIT
   * threshold, and compiling cost more than running it (bench:recs).
   */
  async catalog(limit: number): Promise<CatalogVideo[]> {
    const rows = await this.db.transaction(async (tx) => {
      await noJit(tx);
      const r = await tx.query<{ videos: Array<[string, string, number | null, number, string | null]> }>(
        `SELECT coalesce(json_agg(json_build_array(c.id, c.owner_id, c.duration_ms, floor(extract(epoch from c.created_at) * 1000)::float8, c.tag)
                              ORDER BY c.created_at DESC, c.id DESC), '[]') AS videos
         FROM (SELECT v.id, v.owner_id, v.duration_ms, v.created_at,
                      (SELECT h.tag FROM video_hashtags h WHERE h.video_id = v.id ORDER BY h.position LIMIT 1) AS tag
               FROM videos v WHERE ${discoverableSql('v')}
               ORDER BY v.created_at DESC, v.id DESC LIMIT $1) c`,
        [limit],
      );
      return r.rows[0]!.videos;
    });
    return rows.map(([id, ownerId, durationMs, createdAt, tag]) => ({ id, ownerId, durationMs, createdAt, tag }));
  }

  /**
   * Distinct viewers and engaged viewers of discoverable videos created since `since` (the exploration pool),
   * from counted events only: rotated device ids beyond an address's allowance do not make a trial look popular.
   * A viewer is a user (all their devices), or a device without a user, as everywhere (viewerKeyOf); grouped by
   * (user_id, device id when no user) rather than by a built key string, and likes joined by hash rather than probed
   * per viewer: the same counts for about half the database CPU, and cheap enough not to be JIT-compiled on every
   * refresh (the JIT alone cost more than the scan; bench:recs).
   */
  async exploreStats(since: Date): Promise<ExploreStat[]> {
    const r = await this.db.transaction(async (tx) => {
      // A background refresh: one backend, no JIT, and enough memory to hash the young videos' events in one pass.
      await noJit(tx, { parallel: false, workMem: '32MB' });
      return tx.query<{ video_id: string; viewers: string | number; engaged: string | number }>(
        `SELECT p.video_id, count(*) AS viewers, count(*) FILTER (WHERE p.engaged OR l.user_id IS NOT NULL) AS engaged
       FROM (
         SELECT e.video_id, e.user_id, CASE WHEN e.user_id IS NULL THEN e.device_id END AS device_id,
                bool_or(e.type = 'complete' OR (v.duration_ms > 0 AND e.watched_ms * 2 >= v.duration_ms)) AS engaged
         FROM events e JOIN videos v ON v.id = e.video_id
         WHERE v.created_at > $1 AND ${discoverableSql('v')} AND e.received_at > $1 AND e.counted
         GROUP BY 1, 2, 3
       ) p
       LEFT JOIN video_likes l ON l.video_id = p.video_id AND l.user_id = p.user_id
       GROUP BY p.video_id`,
        [since],
      );
    });
    return r.rows.map((row) => ({ videoId: row.video_id, viewers: num(row.viewers), engaged: num(row.engaged) }));
  }

  // ------------------------------------------------------------ not interested

  /** Idempotent: marking again keeps the first mark's time. */
  async markNotInterested(userId: string, videoId: string): Promise<void> {
    await this.db.query(`INSERT INTO video_not_interested (user_id, video_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [userId, videoId]);
  }

  async unmarkNotInterested(userId: string, videoId: string): Promise<void> {
    await this.db.query(`DELETE FROM video_not_interested WHERE user_id = $1 AND video_id = $2`, [userId, videoId]);
  }

  /** The viewer's newest `limit` "Not interested" marks, each with the video's author and hashtags. */
  async notInterestedMarks(userId: string, limit: number): Promise<NotInterestedMark[]> {
    const r = await this.db.query<{ video_id: string; owner_id: string; tags: string[] | null }>(
      `SELECT n.video_id, v.owner_id,
              ARRAY(SELECT h.tag FROM video_hashtags h WHERE h.video_id = n.video_id ORDER BY h.position) AS tags
       FROM video_not_interested n JOIN videos v ON v.id = n.video_id
       WHERE n.user_id = $1 ORDER BY n.created_at DESC, n.video_id LIMIT $2`,
      [userId, limit],
    );
    return r.rows.map((row) => ({ videoId: row.video_id, ownerId: row.owner_id, tags: row.tags ?? [] }));
  }

  async followedAuthors(userId: string): Promise<Set<string>> {
    const r = await this.db.query<{ followee_id: string }>(`SELECT followee_id FROM follows WHERE follower_id = $1`, [userId]);
    return new Set(r.rows.map((row) => row.followee_id));
  }

  // ------------------------------------------------------------ model versions

  async latestModel(): Promise<ModelVersionRow | null> {
    const r = await this.db.query(`SELECT * FROM recs_models ORDER BY version DESC LIMIT 1`);
    return r.rows[0] ? toVersion(r.rows[0]) : null;
  }

  async recordModel(m: Omit<ModelVersionRow, 'version' | 'trainedAt'>, params: unknown): Promise<ModelVersionRow> {
    const r = await this.db.query(
      `INSERT INTO recs_models (object_key, events_read, users, videos, pairs, train_ms, max_event_id, lake_batch_id, params, selection)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb) RETURNING *`,
      [
        m.objectKey,
        m.eventsRead,
        m.users,
        m.videos,
        m.pairs,
        m.trainMs,
        m.maxEventId,
        m.lakeBatchId,
        JSON.stringify(params ?? {}),
        m.selection ? JSON.stringify(m.selection) : null,
      ],
    );
    return toVersion(r.rows[0]!);
  }

  /** The kept model versions, newest first. */
  async listModels(limit = 10): Promise<ModelVersionRow[]> {
    const r = await this.db.query(`SELECT * FROM recs_models ORDER BY version DESC LIMIT $1`, [limit]);
    return r.rows.map(toVersion);
  }

  /** Removes all but the newest `keep` versions' rows; returns the object keys they named. */
  async pruneModels(keep: number): Promise<string[]> {
    const r = await this.db.query<{ object_key: string }>(
      `DELETE FROM recs_models WHERE version NOT IN (SELECT version FROM recs_models ORDER BY version DESC LIMIT $1)
       RETURNING object_key`,
      [keep],
    );
    return r.rows.map((row) => row.object_key);
  }

  async maxEventId(): Promise<number> {
    // Counted events only, as training reads them: uncounted ones alone never call for a new model.
    const r = await this.db.query<{ max_id: string | number | null }>(`SELECT max(id) AS max_id FROM events WHERE counted`);
    return num(r.rows[0]?.max_id ?? null);
  }

  // ------------------------------------------------------------ training from the lake

  /** The newest delivered lake batch (0 when none): what a model trained from the lake has seen. */
  async lastDeliveredLakeBatch(): Promise<number> {
    const r = await this.db.query<{ id: string | number | null }>(`SELECT max(id) AS id FROM lake_batches WHERE delivered_at IS NOT NULL`);
    return num(r.rows[0]?.id ?? null);
  }

  /** Which of these (follower, followee) pairs are follows now, as `follower + "\n" + followee` keys. */
  async followsAmong(followers: readonly string[], followees: readonly string[]): Promise<Set<string>> {
    if (followers.length === 0 || followees.length === 0) return new Set();
    const r = await this.db.query<{ follower_id: string; followee_id: string }>(
      `SELECT follower_id, followee_id FROM follows WHERE follower_id = ANY($1::text[]) AND followee_id = ANY($2::text[])`,
      [followers, followees],
    );
    return new Set(r.rows.map((row) => `${row.follower_id}\n${row.followee_id}`));
  }
}

function toVersion(row: Record<string, unknown>): ModelVersionRow {
  return {
    version: Number(row.version),
    objectKey: String(row.object_key),
    trainedAt: new Date(row.trained_at as string),
    eventsRead: Number(row.events_read),
    users: Number(row.users),
    videos: Number(row.videos),
    pairs: Number(row.pairs),
    trainMs: Number(row.train_ms),
    maxEventId: Number(row.max_event_id),
    lakeBatchId: row.lake_batch_id === null || row.lake_batch_id === undefined ? null : Number(row.lake_batch_id),
    selection: parseSelection(row.selection),
  };
}

/** The recorded selection (jsonb: an object from PostgreSQL, a string from some drivers); null when absent or unreadable. */
function parseSelection(v: unknown): ModelSelection | null {
  if (v === null || v === undefined) return null;
  try {
    const o = (typeof v === 'string' ? JSON.parse(v) : v) as ModelSelection;
    return o && typeof o === 'object' && o.blend && typeof o.blend.personal === 'number' && typeof o.blend.trending === 'number' ? o : null;
  } catch {
    return null;
  }
}
