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
 * with the same window (arrival time after the start), in one pass grouped
 * by (viewer, video): counted playback aggregated; a like or a "Not
 * interested" mark stands when the pair's latest such event is not its undo
 * (the OLTP tables hold only standing ones); a comment while it is not
 * deleted (a comment and its deletion share the pair: same author, same
 * video); the newest standing action's time is the pair's engagement time.
 * The video's owner and duration and whether the viewer follows the owner
 * are current state, read from the database afterwards (not history).
 */
function pairsSql(sinceMs: number): string {
  const since = `to_timestamp(${sinceMs / 1000})`;
  const types = Object.entries(UNDO_OF).flatMap(([signal, undo]) => (undo ? [signal, undo] : [signal]));
  const standing = (signal: string, undo: string) =>
    `coalesce(arg_max(type = '${signal}', received_at) FILTER (WHERE type IN ('${signal}', '${undo}')), false)`;
  return `
    WITH g AS (
      SELECT coalesce(user_id, 'd:' || device_id) AS viewer, video_id,
             count(*) FILTER (WHERE kind = 'playback')::INTEGER AS n,
             count(*) FILTER (WHERE kind = 'playback' AND type = 'impression')::INTEGER AS impressions,
             count(*) FILTER (WHERE kind = 'playback' AND type = 'complete')::INTEGER AS completes,
             count(*) FILTER (WHERE kind = 'playback' AND type = 'skip')::INTEGER AS skips,
             coalesce(max(watched_ms) FILTER (WHERE kind = 'playback'), 0)::INTEGER AS watched_ms,
             max(received_at) FILTER (WHERE kind = 'playback') AS play_at,
             ${standing('like', UNDO_OF.like)} AS liked,
             max(received_at) FILTER (WHERE type = 'like') AS like_at,
             ${standing('not_interested', UNDO_OF.not_interested)} AS not_interested,
             max(received_at) FILTER (WHERE type = 'not_interested') AS ni_at,
             coalesce(bool_or(type = 'share'), false) AS shared,
             max(received_at) FILTER (WHERE type = 'share') AS share_at,
             list(json_extract_string(attrs, '$.commentId')) FILTER (WHERE type = 'comment') AS comments,
             list(json_extract_string(attrs, '$.commentId')) FILTER (WHERE type = '${UNDO_OF.comment}') AS deleted,
             max(received_at) FILTER (WHERE type = 'comment') AS comment_at
      FROM events
      WHERE received_at > ${since} AND video_id IS NOT NULL
        AND ((kind = 'playback' AND counted) OR (kind = 'engagement' AND type IN (${types.map(sqlString).join(', ')}) AND user_id IS NOT NULL))
      GROUP BY 1, 2
    ), s AS (
      SELECT *, coalesce(len(list_filter(comments, c -> c IS NULL OR NOT list_contains(coalesce(deleted, []), c))) > 0, false) AS commented
      FROM g
    )
    SELECT viewer, video_id, n, impressions, completes, skips, watched_ms,
           (liked::INTEGER | (shared::INTEGER << 1) | (commented::INTEGER << 2) | (not_interested::INTEGER << 3)) AS flags,
           epoch_ms(greatest(play_at, CASE WHEN liked THEN like_at END, CASE WHEN shared THEN share_at END,
                             CASE WHEN commented THEN comment_at END, CASE WHEN not_interested THEN ni_at END))::DOUBLE AS last_at
    FROM s
    WHERE n > 0 OR liked OR shared OR commented OR not_interested`;
}

/** One aggregated (viewer, video) row from DuckDB, before the database's current facts. */
interface LakePair {
  viewer: string;
  videoId: string;
  impressions: number;
  completes: number;
  skips: number;
  watchedMs: number;
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
  const impressions = col<number>('impressions');
  const completes = col<number>('completes');
  const skips = col<number>('skips');
  const watchedMs = col<number>('watched_ms');
  const flags = col<number>('flags');
  const lastAt = col<number>('last_at');
  const rows: LakePair[] = [];
  let events = 0;
  for (let i = 0; i < videoId.length; i++) {
    events += n[i]!;
    const v = viewer[i];
    if (v === null || v === undefined) continue; // neither a user nor a device: no one to train
    const f = flags[i]!;
    rows.push({
      viewer: v,
      videoId: videoId[i]!,
      impressions: impressions[i]!,
      completes: completes[i]!,
      skips: skips[i]!,
      watchedMs: watchedMs[i]!,
      liked: (f & 1) !== 0,
      shared: (f & 2) !== 0,
      commented: (f & 4) !== 0,
      notInterested: (f & 8) !== 0,
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
        impressions: r.impressions,
        completes: r.completes,
        skips: r.skips,
        watchedMs: r.watchedMs,
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
