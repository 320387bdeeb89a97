import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString, withDuckdb } from '../lake/duckdb.js';
import type { LakeReader } from '../lake/lake-reader.js';
import type { ModelVersionRow, PairRow, RecsRepository } from './recs.repository.js';
import type { TrainingHistory, TrainingSource } from './training-source.js';

/**
 * Engagement types that are signals, each with the type that takes it back
 * (migration 0024: the OLTP tables hold only standing likes, comments and
 * marks; the lake logs both). Shares are never taken back.
 */
const UNDO_OF = { like: 'unlike', comment: 'delete_comment', not_interested: 'undo_not_interested', share: null } as const;

/**
 * A playback event's client time is clamped to at most 24 h before its
 * arrival, and lake partitions go by event time: files of partitions up to
 * this long before the window's start may hold events that arrived inside it.
 */
const PARTITION_SLACK_MS = 2 * 86_400_000;

/**
 * The training aggregation in DuckDB, over `events` (the live Parquet files
 * of the window): what TRAINING_PAIRS_SQL computes from the OLTP tables,
 * with the same window (arrival time after the start). Per (viewer, video):
 * counted playback aggregated; per (user, video, engagement type) the latest
 * event decides whether the action still stands (the OLTP tables hold only
 * standing likes and marks), its newest time is the pair's last activity.
 * The video's owner and duration and whether the viewer follows the owner
 * are current state, read from the database afterwards (not history).
 */
function pairsSql(sinceMs: number): string {
  const since = `to_timestamp(${sinceMs / 1000})`;
  const types = Object.entries(UNDO_OF).flatMap(([signal, undo]) => (undo ? [signal, undo] : [signal]));
  const signalOf = Object.entries(UNDO_OF)
    .flatMap(([signal, undo]) => (undo ? [`WHEN ${sqlString(undo)} THEN ${sqlString(signal)}`] : []))
    .join(' ');
  const undos = Object.values(UNDO_OF).flatMap((u) => (u ? [sqlString(u)] : []));
  return `
    WITH w AS (
      SELECT kind, type, video_id, user_id, device_id, watched_ms, counted, received_at, attrs
      FROM events WHERE received_at > ${since} AND video_id IS NOT NULL
    ), ev AS (
      SELECT coalesce(user_id, 'd:' || device_id) AS viewer, video_id,
             count(*)::INTEGER AS n,
             count(*) FILTER (WHERE type = 'impression')::INTEGER AS impressions,
             count(*) FILTER (WHERE type = 'complete')::INTEGER AS completes,
             count(*) FILTER (WHERE type = 'skip')::INTEGER AS skips,
             coalesce(max(watched_ms), 0)::INTEGER AS watched_ms,
             max(received_at) AS last_at
      FROM w WHERE kind = 'playback' AND counted GROUP BY 1, 2
    ), act AS (
      SELECT user_id AS viewer, video_id, CASE type ${signalOf} ELSE type END AS signal,
             type IN (${undos.join(', ')}) AS undo, received_at,
             CASE WHEN type IN ('comment', 'delete_comment') THEN json_extract_string(attrs, '$.commentId') END AS comment_id
      FROM w WHERE kind = 'engagement' AND type IN (${types.map(sqlString).join(', ')}) AND user_id IS NOT NULL
    ), deleted_comments AS (
      SELECT DISTINCT comment_id FROM act WHERE undo AND signal = 'comment' AND comment_id IS NOT NULL
    ), standing AS (
      -- A like or a mark stands when its latest event is not an undo; a comment while it is not deleted.
      SELECT viewer, video_id, signal, max(received_at) FILTER (WHERE NOT undo) AS acted_at
      FROM act WHERE signal <> 'comment' GROUP BY 1, 2, 3 HAVING NOT arg_max(undo, received_at)
      UNION ALL
      SELECT viewer, video_id, signal, max(received_at) AS acted_at
      FROM act WHERE signal = 'comment' AND NOT undo AND (comment_id IS NULL OR comment_id NOT IN (SELECT comment_id FROM deleted_comments))
      GROUP BY 1, 2, 3
    ), eng AS (
      SELECT viewer, video_id,
             bool_or(signal = 'like') AS liked, bool_or(signal = 'share') AS shared,
             bool_or(signal = 'comment') AS commented, bool_or(signal = 'not_interested') AS not_interested,
             max(acted_at) AS last_at
      FROM standing GROUP BY 1, 2
    )
    SELECT coalesce(ev.viewer, eng.viewer) AS viewer, coalesce(ev.video_id, eng.video_id) AS video_id,
           coalesce(ev.n, 0) AS n, ev.impressions, ev.completes, ev.skips, ev.watched_ms,
           coalesce(eng.liked, false) AS liked, coalesce(eng.shared, false) AS shared,
           coalesce(eng.commented, false) AS commented, coalesce(eng.not_interested, false) AS not_interested,
           epoch_ms(greatest(ev.last_at, eng.last_at))::DOUBLE AS last_at
    FROM ev FULL JOIN eng ON eng.viewer = ev.viewer AND eng.video_id = ev.video_id`;
}

/** One aggregated (viewer, video) row from DuckDB, before the database's current facts. */
interface LakePair {
  viewer: string;
  videoId: string;
  impressions: number | null;
  completes: number | null;
  skips: number | null;
  watchedMs: number | null;
  liked: boolean;
  shared: boolean;
  commented: boolean;
  notInterested: boolean;
  lastAt: number;
}

/** Runs `pairsSql` with `events` bound to `paths`; returns the pairs (columns read as arrays) and the counted events behind them. */
async function aggregate(c: DuckDBConnection, paths: readonly string[], sinceMs: number): Promise<{ rows: LakePair[]; events: number }> {
  if (paths.length === 0) return { rows: [], events: 0 };
  await c.run(
    `CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`,
  );
  const reader = await c.runAndReadAll(pairsSql(sinceMs));
  const cols = reader.getColumnsObjectJS() as Record<string, unknown[]>;
  const col = <T>(name: string) => cols[name] as T[];
  const viewer = col<string | null>('viewer');
  const videoId = col<string>('video_id');
  const n = col<number>('n');
  const impressions = col<number | null>('impressions');
  const completes = col<number | null>('completes');
  const skips = col<number | null>('skips');
  const watchedMs = col<number | null>('watched_ms');
  const liked = col<boolean>('liked');
  const shared = col<boolean>('shared');
  const commented = col<boolean>('commented');
  const notInterested = col<boolean>('not_interested');
  const lastAt = col<number>('last_at');
  const rows: LakePair[] = [];
  let events = 0;
  for (let i = 0; i < videoId.length; i++) {
    events += n[i]!;
    const v = viewer[i];
    if (v === null || v === undefined) continue; // neither a user nor a device: no one to train
    rows.push({
      viewer: v,
      videoId: videoId[i]!,
      impressions: impressions[i] ?? null,
      completes: completes[i] ?? null,
      skips: skips[i] ?? null,
      watchedMs: watchedMs[i] ?? null,
      liked: liked[i]!,
      shared: shared[i]!,
      commented: commented[i]!,
      notInterested: notInterested[i]!,
      lastAt: lastAt[i]!,
    });
  }
  return { rows, events };
}

/**
 * The recommender's history from the Parquet lake (the SageMaker-reads-S3
 * step): DuckDB aggregates the live files of the training window (through
 * the LakeReader's manifest and local cache, so the same for the filesystem
 * store and S3), the database adds what is current state rather than
 * history — each video's owner and duration (videos since deleted drop out,
 * as in the OLTP query's join) and who follows whom.
 *
 * A model records the newest delivered lake batch; `flush` (when given)
 * delivers what the lake buffer holds first, so a training run sees events
 * that arrived a moment ago.
 */
export class LakeTrainingSource implements TrainingSource {
  readonly name = 'lake';

  constructor(
    private readonly reader: LakeReader,
    private readonly repo: RecsRepository,
    private readonly flush?: () => Promise<unknown>,
  ) {}

  async upToDate(latest: ModelVersionRow): Promise<boolean> {
    await this.flush?.();
    return latest.lakeBatchId !== null && latest.lakeBatchId >= (await this.repo.lastDeliveredLakeBatch());
  }

  async history(since: Date): Promise<TrainingHistory> {
    await this.flush?.();
    // The mark first: a batch delivered while this run reads is seen again by the next run, never missed.
    const lakeBatchId = await this.repo.lastDeliveredLakeBatch();
    const from = new Date(since.getTime() - PARTITION_SLACK_MS).toISOString().slice(0, 10);
    const files = await this.reader.liveFiles({ from });
    // Pinned in the reader's local cache while DuckDB reads them; unreadable files are skipped (logged and counted there).
    const { paths, release } = await this.reader.acquire(files.map((f) => f.key));
    let aggregated: { rows: LakePair[]; events: number };
    try {
      aggregated = await withDuckdb((c) => aggregate(c, paths, since.getTime()));
    } finally {
      release();
    }
    const { rows, events } = aggregated;

    const facts = await this.repo.videoFacts([...new Set(rows.map((r) => r.videoId))]);
    const owners = new Set<string>();
    const users = new Set<string>();
    for (const r of rows) {
      const f = facts.get(r.videoId);
      if (!f) continue;
      owners.add(f.ownerId);
      if (!r.viewer.startsWith('d:')) users.add(r.viewer);
    }
    const follows = await this.repo.followsAmong([...users], [...owners]);
    const pairs: PairRow[] = [];
    for (const r of rows) {
      const f = facts.get(r.videoId);
      if (!f) continue; // the video is gone
      pairs.push({
        viewer: r.viewer,
        videoId: r.videoId,
        ownerId: f.ownerId,
        durationMs: f.durationMs,
        impressions: r.impressions ?? 0,
        completes: r.completes ?? 0,
        skips: r.skips ?? 0,
        watchedMs: r.watchedMs ?? 0,
        liked: r.liked,
        shared: r.shared,
        commented: r.commented,
        followsAuthor: follows.has(`${r.viewer}\n${f.ownerId}`),
        notInterested: r.notInterested,
        lastAt: new Date(r.lastAt),
      });
    }
    return { pairs, eventsRead: events, mark: { maxEventId: 0, lakeBatchId } };
  }
}
